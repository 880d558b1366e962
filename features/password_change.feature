# The article "How to reset/change your account password through the portal?",
# section "I know my password and want to change it": one step per line.
@journey
Feature: I know my password and want to change it
  If you know your current password and need to modify it,
  you can follow the steps below.

  Background:
    Given I have an account on the portal

  Scenario: Change a known password through the portal
    Given I log in to the portal
    When I click the Settings icon
    And I click "Security"
    And in the Password panel I click "Edit"
    And I enter my current password, define a new one, and click "Update password"
    Then I see "You can now log in using the new password you defined."
    And I can log in using the new password I defined
    And I can no longer log in using my old password

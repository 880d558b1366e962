# Rule: the change form takes a new password only when it is typed twice the same,
# as the recovery form does, and says so when it is not.
Feature: The change form refuses a new password whose confirmation differs

  Background:
    Given I have an account on the portal
    And I log in to the portal

  @asvs-6.2.3
  Scenario: A new password whose confirmation differs is refused, saying why
    When I change my password in the settings confirming a different new password
    Then I see an error saying "do not match"
    And I can still log in using my password
    And I can no longer log in using the password I tried to set

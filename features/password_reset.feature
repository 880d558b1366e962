# The article "How to reset/change your account password through the portal?",
# section "I forgot my password and need to reinitialise it": one step per line.
@journey
Feature: I forgot my password and need to reinitialise it
  If you forgot your current password and need to reinitialise it to log in,
  follow the steps below.

  Background:
    Given I have an account on the portal

  Scenario: Reinitialise a forgotten password through the portal
    Given I go to the portal
    When I click "Continue with email"
    And I click "Forgot your password?"
    And I enter the email linked to my account and click "Restore password"
    Then I see "If the email address you entered matches an existing account, a password recovery email will be sent to this email address."
    And a password recovery email is sent to this email address
    When I go to my emails and click the recovery link
    And I enter a new password and validate
    Then I see "You can now log in using the new password you defined."
    And I can log in using the new password I defined

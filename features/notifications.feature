# Every email goes to the account's stored address, says what it is about, and carries
# no secret: never a password, never the token of another link.
Feature: Emails tell the owner what happened and carry no secret

  Background:
    Given I have an account on the portal

  @owasp-fp-side-channel
  Scenario: The recovery email holds one link to the public address and nothing else secret
    Given I asked to restore my password
    Then the recovery email is addressed to me with a subject about my password
    And its recovery link points to the portal's public address
    And it does not contain my password

  @asvs-6.3.7 @owasp-fp-notify
  Scenario: A reset is notified without secrets
    Given I asked to restore my password
    When I go to my emails and click the recovery link
    And I enter a new password and validate
    Then an email tells me my password was changed
    And that email is addressed to me with a subject about my password
    And that email contains neither password nor the token of another link

  @asvs-6.3.7
  Scenario: A change is notified without secrets
    Given I asked to restore my password
    And I log in to the portal
    When I change my password in the settings
    Then an email tells me my password was changed
    And that email is addressed to me with a subject about my password
    And that email contains neither password nor the token of another link

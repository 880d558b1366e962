# Rule: no account enumeration (ASVS 6.3.8). The answer for an address without
# an account is the one for a real account, and no email leaves the portal for it.
Feature: The portal never tells whether an address has an account

  Background:
    Given I have an account on the portal

  @asvs-6.3.8 @owasp-fp-consistent-message
  Scenario: An unknown address gets the same answer and no email
    Given I go to the portal
    When I ask to restore the password of an address that has no account
    Then I see "If the email address you entered matches an existing account, a password recovery email will be sent to this email address."
    When I ask to restore the password of my account
    Then I see "If the email address you entered matches an existing account, a password recovery email will be sent to this email address."
    And both answers are the same
    And a password recovery email is sent to this email address
    And no email is sent to the address that has no account

  @asvs-6.3.8
  Scenario: Signing up again with a registered address reveals nothing on the page
    Given I go to the portal
    When I sign up again with the email linked to my account
    Then the answer is the one a new address gets
    And an email tells me someone tried to sign up with my address
    And that email contains neither password nor the token of another link

  @owasp-fp-side-channel
  Scenario: The recovery email goes to the stored address, not to the typed one
    Given I go to the portal
    When I ask to restore the password of my account typing my address in capitals
    Then I see "If the email address you entered matches an existing account, a password recovery email will be sent to this email address."
    And a password recovery email is sent to this email address
    And it is addressed exactly as my account's address is stored

  @asvs-6.3.8
  Scenario: Log-in does not tell whether an address was just signed up
    Given I signed up with a new address and did not confirm it
    When I try to log in with that address and the password I chose
    And I try to log in with that address and a wrong password
    Then both answers are the same

  @asvs-6.3.8 @owasp-fp-consistent-message
  Scenario: Through the API too, an unknown address gets the same answer and no email
    When I ask to restore the password of an address that has no account through the API
    And I ask to restore the password of my account through the API
    Then both answers are the same
    And a password recovery email is sent to this email address
    And no email is sent to the address that has no account

  @asvs-6.3.8
  Scenario: Through the API, an address signed up and never confirmed cannot log in, and the answer does not tell
    Given I signed up with a new address and did not confirm it
    When I try to log in through the API with that address and the password I chose
    And I try to log in through the API with that address and a wrong password
    Then both answers are refusals
    And both answers are the same

  @asvs-6.3.8 @owasp-fp-consistent-time @serial
  Scenario: A recovery request takes the same time for a known and an unknown address
    When I ask to restore the password of my account and of an address that has no account, one after the other, many times
    Then both kinds of request take the same time

# Rule: SMTP down means late mail, never lost mail and never a different answer.
# "The mail server is down" is a fault rule on the sink refusing mail to this scenario's
# address (451 at RCPT TO); "back" removes it. Runs against any deployment whose mail
# goes to this project's sink.
Feature: Recovery email survives a mail server outage

  Background:
    Given I have an account on the portal

  Scenario: The mail server is down when I ask, and the email arrives once it is back
    Given the mail server is down
    And I go to the portal
    When I click "Continue with email"
    And I click "Forgot your password?"
    And I enter the email linked to my account and click "Restore password"
    Then I see "If the email address you entered matches an existing account, a password recovery email will be sent to this email address."
    And no email is sent to this email address while the mail server is down
    # The portal retries by itself on its wall clock (2 s, then doubling): no time has to
    # pass for the scenario, and the recovery link is still young when the email comes.
    When the mail server is back
    Then a password recovery email is sent to this email address
    And I go to my emails and click the recovery link
    And I enter a new password and validate
    Then I see "You can now log in using the new password you defined."

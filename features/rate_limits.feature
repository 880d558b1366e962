# Rule: limits slow attackers down without locking the owner out, and the
# answers stay neutral. Run in-process: the limits are the portal's defaults there
# (5 recovery emails per account per hour; 10 wrong passwords per account per
# 15 minutes from clients it never logged in from, 5 from a browser it did; 3 sign-up
# emails per address and 20 sign-ups per client per hour).
@in-process
Feature: Rate limits answer neutrally

  Background:
    Given I have an account on the portal

  @owasp-fp-automation
  Scenario: Too many recovery requests get the same answer but no more emails
    Given I go to the portal
    When I ask to restore the password of my account 7 times
    Then every answer said "If the email address you entered matches an existing account, a password recovery email will be sent to this email address."
    And only 5 password recovery emails are sent to this email address
    When an hour has passed
    And I ask to restore the password of my account
    Then a password recovery email is sent to this email address

  @owasp-device-cookies
  Scenario: Wrong passwords sent by someone else do not lock the owner out
    Given I logged in to the portal from my browser before
    When someone else tries to log in to my account with a wrong password 11 times
    Then I can log in to the portal from my browser at once
    And log-in from the other client is refused even with my password

  @asvs-6.3.1
  Scenario: Too many wrong passwords slow another client down for a while
    When someone else tries to log in to my account with a wrong password 11 times
    Then log-in from the other client is refused even with my password
    When an hour has passed
    Then the other client can log in using my password again

  @asvs-6.3.1
  Scenario: Many wrong passwords at once get no more than 10 guesses
    When someone else sends 50 wrong passwords for my account at once, each from a new client
    Then at most 10 answers say "The email or password is incorrect."
    And every other answer says "Too many attempts. Wait a few minutes and try again."

  # My own sign-up sent the first email of its hour: the next hour starts afresh.
  @asvs-2.4.1
  Scenario: Signing up again and again with my address sends no more than 3 emails an hour
    Given an hour has passed
    When I sign up again with the email linked to my account 5 times
    Then every answer is the one a new address gets
    And only 3 emails tell me someone tried to sign up with my address

  @asvs-2.4.1
  Scenario: Too many sign-ups from one client get the same answer but create nothing
    When someone else signs up 25 new addresses from one client
    Then every answer said "We sent an email to the address you entered. Open the link in it to finish creating your account."
    And no more than 20 of those addresses get a confirmation email
    When an hour has passed
    Then the other client can sign up a new address again

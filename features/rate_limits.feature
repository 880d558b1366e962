# DESIGN.md §4: limits slow attackers down without locking the owner out, and the
# answers stay neutral. Run in-process: the limits are the portal's defaults there
# (5 recovery emails per account per hour, 10 failed log-ins per account).
@in-process
Feature: Rate limits answer neutrally

  Background:
    Given I have an account on the portal

  Scenario: Too many recovery requests get the same answer but no more emails
    Given I go to the portal
    When I ask to restore the password of my account 7 times
    Then every answer said "If the email address you entered matches an existing account, a password recovery email will be sent to this email address."
    And only 5 password recovery emails are sent to this email address
    When an hour has passed
    And I ask to restore the password of my account
    Then a password recovery email is sent to this email address

  Scenario: Too many wrong passwords slow log-in down, then the owner gets back in
    When I try to log in with a wrong password 11 times
    Then log-in is refused even with my password
    When an hour has passed
    Then I can still log in using my password

# Rule: CSRF protection on every state-changing form.
Feature: Forms only work when they come from the portal itself

  Background:
    Given I have an account on the portal

  @asvs-3.5.1
  Scenario: A password change sent from another site is refused
    When another site makes my logged-in browser send the password change form without its CSRF token
    Then that request is refused
    And I can still log in using my password

  @asvs-3.5.1
  Scenario: A log-in form with a CSRF cookie and token its sender made up is refused
    When someone sends the log-in form with my password and a CSRF cookie and token they made up
    Then that request is refused saying "This form has expired or did not come from this site."

  @asvs-3.5.1
  Scenario: A recovery form with a CSRF cookie and token its sender made up is refused
    When someone sends the password recovery form for my address with a CSRF cookie and token they made up
    Then that request is refused saying "This form has expired or did not come from this site."
    And no password recovery email is sent to this email address

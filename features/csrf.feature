# DESIGN.md §4: CSRF protection on every state-changing form.
Feature: Forms only work when they come from the portal itself

  Background:
    Given I have an account on the portal

  Scenario: A password change sent from another site is refused
    When another site makes my logged-in browser send the password change form without its CSRF token
    Then that request is refused
    And I can still log in using my password

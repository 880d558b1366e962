# Rule: a reset or a change ends the other sessions of the account, and a
# reset never logs anyone in. Logging out ends the session on the server. A
# session left unused for 30 minutes ends.
Feature: Sessions after a password reset or change, and when left unused

  Background:
    Given I have an account on the portal

  @asvs-7.4.3 @owasp-fp-no-auto-login @owasp-fp-sessions
  Scenario: A reset ends every session and logs nobody in
    Given I am logged in on another device
    And I asked to restore my password
    When I go to my emails and click the recovery link
    And I enter a new password and validate
    Then I see "You can now log in using the new password you defined."
    And I am not logged in
    And the other device is logged out

  @asvs-7.4.3
  Scenario: A change ends the other sessions but keeps mine
    Given I am logged in on another device
    And I log in to the portal
    When I change my password in the settings
    Then I see "You can now log in using the new password you defined."
    And the other device is logged out
    And I am still logged in

  @asvs-6.2.3
  Scenario: A wrong current password is refused
    Given I log in to the portal
    When I change my password in the settings giving "Not-my-password-42" as the current password
    Then I see an error
    And I can still log in using my password
    And I can no longer log in using the password I tried to set

  @asvs-7.4.1
  Scenario: Logging out ends the session on the server, not only in the browser
    Given I log in to the portal
    And I keep a copy of the cookies my browser sends
    When I log out
    Then I am not logged in
    And that copy of my cookies, sent again, does not reach my account

  @in-process @asvs-7.3.1
  Scenario: A session left unused for more than 30 minutes ends
    Given I log in to the portal
    When 31 minutes pass without my using the portal
    Then I am not logged in

  @in-process @asvs-7.3.1
  Scenario: Using the portal keeps me logged in
    Given I log in to the portal
    When I use the portal every 20 minutes for an hour
    Then I am still logged in

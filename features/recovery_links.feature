# Rule: tokens are single use, expire, and only the newest state counts.
Feature: A recovery link works once, for a while, and only as it was sent

  Background:
    Given I have an account on the portal
    And I asked to restore my password

  @asvs-6.4.1 @owasp-fp-single-use-token
  Scenario: A used recovery link is refused
    When I go to my emails and click the recovery link
    And I enter a new password and validate
    Then I see "You can now log in using the new password you defined."
    When I open the same recovery link again
    Then the recovery link is refused
    And I can log in using the new password I defined

  @in-process @asvs-6.4.1 @owasp-fp-single-use-token
  Scenario: An expired recovery link is refused
    Given the recovery link is 31 minutes old
    When I go to my emails and click the recovery link
    Then the recovery link is refused
    And I can still log in using my password

  @asvs-6.4.3
  Scenario Outline: A tampered recovery link is refused
    When I open the recovery link <tampered>
    Then the recovery link is refused
    And I can still log in using my password

    Examples:
      | tampered                                     |
      | with the last character of its token changed |
      | with its token cut in half                   |
      | with its token replaced by a made-up one     |
      | without its token                            |

  Scenario: Opening a recovery link does not use it up
    When a mail scanner opens the recovery link first
    And I go to my emails and click the recovery link
    And I enter a new password and validate
    Then I see "You can now log in using the new password you defined."

  @owasp-fp-single-use-token
  Scenario: Only the newest recovery link counts after a reset
    Given I asked to restore my password again
    When I go to my emails and click the newest recovery link
    And I enter a new password and validate
    Then I see "You can now log in using the new password you defined."
    When I open the first recovery link
    Then the recovery link is refused

  @owasp-fp-single-use-token
  Scenario: Recovery links die when the password is changed in the settings
    Given I log in to the portal
    When I change my password in the settings
    Then I see "You can now log in using the new password you defined."
    When I go to my emails and click the recovery link
    Then the recovery link is refused
    And I can log in using the new password I defined

  @owasp-fp-referrer-policy
  Scenario: The recovery page keeps the token out of sight
    When I go to my emails and click the recovery link
    Then the address bar no longer shows the recovery token
    And the recovery page is neither cached nor sent as a referrer

# Rule: at least 12 characters, up to 128 accepted, any Unicode, no composition
# rules; common passwords and context words refused, saying why. The same holds
# through the JSON API.
Feature: New passwords follow the rules and a refusal says which one

  Background:
    Given I have an account on the portal
    And I asked to restore my password
    And I go to my emails and click the recovery link

  @asvs-6.2.4 @asvs-6.2.11 @owasp-fp-password-policy
  Scenario Outline: A password breaking a rule is refused with its reason
    When I enter <password> as my new password and validate
    Then I see an error saying "<reason>"
    And I can still log in using my password

    Examples:
      | password                                 | reason                                   |
      | "password1234"                           | too common or too easy to guess          |
      | my email address followed by "2024!"     | must not contain your email address      |
      | "Wallbox-Quokka-Saffron-77"              | must not contain the name of the product |
      | a password with a different confirmation | do not match                             |

    # A real browser enforces the form's minlength/maxlength itself and never sends these;
    # the portal must still refuse them from any other client.
    @not-in-browser
    Examples: limits the browser also enforces
      | password                                 | reason                                   |
      | "short-pw1"                              | use at least 12 characters               |
      | a 129-character password                 | use at most 128 characters               |

    # The minimum's edge: one character short of it (the minimum itself is accepted below).
    @not-in-browser @asvs-6.2.1
    Examples: one character short of the minimum
      | password                                 | reason                                   |
      | an 11-character password                 | use at least 12 characters               |

  @asvs-6.2.5 @asvs-6.2.9
  Scenario Outline: Long and unusual passwords are accepted
    When I enter <password> as my new password and validate
    Then I see "You can now log in using the new password you defined."
    And I can log in using the new password I defined

    Examples:
      | password                                  |
      | a 64-character password                   |
      | a 128-character password                  |
      | "correct horse battery staple in spring"  |
      | "🔑 ünïcödé pässwörd 鍵 🗝️ çà"              |

    @asvs-6.2.1
    Examples: exactly the minimum
      | password                                  |
      | a 12-character password                   |

  @asvs-6.2.1
  Scenario: Through the API too, the minimum is accepted and one character less refused
    When I send an 11-character new password with my recovery token through the API
    Then the API refuses it with status 422
    And I can still log in using my password
    When I send a 12-character new password with my recovery token through the API
    Then the API accepts it
    And I can log in using the new password I defined

# An address belongs to whoever reads its mail: a look-alike spelling of someone's
# address is refused (once folded it would name their account), and a sign-up nobody
# confirms holds its address for a week at most.
Feature: No one can take or hold an address they do not read

  # Chromium's own form validation refuses any address with such a letter before
  # sending it; a script sends it anyway.
  @not-in-browser @owasp-unicode-lookalike-addresses
  Scenario: My address typed with a look-alike letter is refused, saying why
    Given I have an account on the portal with an address starting with "k"
    When I sign up with my address typed with a Kelvin sign instead of its first letter
    Then I see an error saying "This email address contains look-alike characters (such as full-width letters or the Kelvin sign). Type it with ordinary characters."
    When I ask to restore the password of my account typed with a Kelvin sign instead of its first letter
    Then I see an error saying "This email address contains look-alike characters (such as full-width letters or the Kelvin sign). Type it with ordinary characters."
    When I ask to restore the password of an address that has no account, typed the same way
    Then both answers are the same
    And no email is sent to this email address

  @in-process @owasp-unconfirmed-accounts-expire
  Scenario: An address someone signed up with and never confirmed is free again after a week
    Given someone signed up with an address and never confirmed it
    When 8 days have passed
    And I sign up with that address
    Then a confirmation email is sent to that address
    When I confirm my account with the link in that email
    Then I can log in using my password
    And the password of whoever signed up first does not work

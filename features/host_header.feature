# Rule: links in emails are built from the configured public URL only, never
# from the Host or X-Forwarded-Host headers of the request.
Feature: A forged Host header cannot redirect recovery links

  Background:
    Given I have an account on the portal

  @owasp-fp-host-header
  Scenario: Recovery requested with a forged Host header
    When someone asks to restore my password with the Host header "evil.example"
    Then any recovery email sent links only to the portal's public address

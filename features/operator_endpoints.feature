# The portal's counters (per-route traffic, outbox, log-in failures) are for operators:
# they are served on a listener of their own, never on the public one.
Feature: The portal's counters are not public

  @asvs-13.4.5
  Scenario: The portal's counters are not public
    When someone opens "/metrics" on the portal
    Then the page is not found

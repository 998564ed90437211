# Words and phrases shared by many commands. Terms used across the product
# are defined once here; see docs/i18n.md for the glossary.

time-broker-hour = between { $from } and { $to } (the broker rounds to the hour)
lang-unsupported = There are no messages in “{ $lang }”. Use --lang en, ja or vi.

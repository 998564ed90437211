# referral new --interactive (client-cli/src/commands/new_interactive.rs).

new-ask-case-reference = Your case reference (your own file number)
new-ask-need = What does the person need help with?
new-ask-urgency = How urgent is it?
new-ask-summary = Summary for the desk (what happened, what is needed)
new-ask-person-name = The person's name
new-ask-preferred-language = The person's preferred language:
new-ask-interpreter-needed = Is an interpreter needed?
new-ask-phone = Phone number
new-ask-other-contact = Other contact (for example a messaging app)
new-ask-best-times = Best times to call
new-ask-desk-may-call = May the desk call the person directly?
new-ask-prefecture = Prefecture where the person lives:
new-ask-municipality = Municipality (city, ward, town)
new-ask-residence-category = The person's residence status, as they told it:
new-ask-documents-held = Documents the person holds (several numbers may be given, separated by spaces or commas):
new-ask-consent-recorded = Has the person's consent to this referral been recorded?
new-ask-consent-scope = Who may receive this referral?
new-ask-obtained-at = When was consent obtained? (press Enter for now: { $default })
new-ask-consent-method = How was consent obtained (for example "verbal, by phone")
new-ask-consent-language = Language in which consent was obtained:

new-optional = { $question } (optional, press Enter to skip)
new-choice = { $number }. { $words } ({ $code })
new-choose-one = Enter a number or a code:
new-choose-several = Enter numbers or codes:
new-yes = Yes
new-no = No
new-answer-refused = That answer cannot be used: { $reason }. Please try again.
new-no-such-number = there is no such number; choose 1 to { $count }
new-not-a-choice = { $answer } is not in the list; enter a number from 1 to { $count } or one of the codes in brackets
new-required = an answer is needed here
new-not-a-time = { $answer } is not a date and time with its offset, such as { $example }
new-consent-needed = A referral cannot be sent without the person's recorded consent. Ask the person, record their consent, then answer yes.
new-ask-consent-again = Ask about consent again?

new-written = The referral was written to { $path }. Check it, then send it with: referral send --to DESK { $path }
new-stopped-at-end = The input ended before the last question: nothing was written. Run referral new --interactive again to start over.
new-stopped-no-consent = Stopped without the person's consent: nothing was written. Record their consent, then run referral new --interactive again.
new-stopped-io = Reading the answers or asking the questions failed: nothing was written.
new-stopped-invalid = The answers do not make a valid referral: nothing was written. Please report this, with the problems below.
new-cannot-write = Cannot write the referral to { $path } (an existing file is never overwritten); nothing was written.

# `referral ui`: the caseworker's pages (client-cli/src/ui/routes/caseworker/).

ui-cw-stale = The broker cannot be reached, so this is this device's case store as of the last sync at { $when }. Statuses may be behind: reload the page when the broker can be reached.
ui-cw-stale-never = The broker cannot be reached, and this device has never synced its case store with it, so statuses may be behind. Reload the page when the broker can be reached.

ui-cw-new-title = New referral
ui-cw-optional = (optional)
ui-cw-choose = Choose…
ui-cw-desk = Desk to refer to
ui-cw-desk-languages = Languages:
ui-cw-desk-prefecture = Prefecture:
ui-cw-desk-not-given = not given
ui-cw-no-desks = The directory lists no other desk yet. Ask your administrator.
ui-cw-section-case = The case
ui-cw-reference = Your case reference
ui-cw-need = What the person needs help with
ui-cw-urgency = Urgency
ui-cw-summary = Summary for the desk
ui-cw-summary-hint = What happened and what help is needed, in a sentence or two.
ui-cw-section-person = The person
ui-cw-name = Name or pseudonym
ui-cw-name-hint = Leave empty if the person would rather not give one.
ui-cw-preferred-language = Preferred language
ui-cw-interpreter = Is an interpreter needed?
ui-cw-phone = Phone number
ui-cw-other-contact = Other contact
ui-cw-other-contact-hint = A messaging app or another way to reach the person.
ui-cw-best-times = Best times to call
ui-cw-desk-may-call = May the desk call the person directly?
ui-cw-prefecture = Prefecture where the person lives
ui-cw-municipality = City, ward, town or village
ui-cw-section-status = Residence status
ui-cw-residence = Residence status, as the person told it
ui-cw-documents = Documents the person holds
ui-cw-documents-hint = Tick every one that applies, or "none" alone.
ui-cw-section-consent = Consent
ui-cw-consent-explain = A referral cannot be sent without the person's consent. Ask the person, and record it before you send.
ui-cw-consent-recorded = The person's consent to this referral has been recorded.
ui-cw-consent-scope = Who may receive this referral
ui-cw-obtained-at = When consent was given
ui-cw-obtained-at-hint = Date, time and offset, such as 2026-12-07T10:20:00+09:00. It is filled in with the time the form was opened.
ui-cw-consent-method = How consent was given
ui-cw-consent-method-hint = For example: verbal, by phone.
ui-cw-consent-language = Language consent was asked and given in
ui-cw-attachments = Files to attach
ui-cw-attachments-hint = Scans or photos for the desk. They are encrypted with the referral; the copies this app keeps while sealing are deleted afterwards.
ui-cw-send = Send the referral
ui-cw-fix-fields = { $count ->
        [one] Nothing was sent: one field needs your attention. It is marked below.
       *[other] Nothing was sent: { $count } fields need your attention. They are marked below.
    }
ui-cw-files-again = Files are not kept after a failed attempt: choose them again before you send.
ui-cw-not-sent = The referral was not sent.
ui-cw-upload-dir = Cannot prepare the folder for attachments in this device's home
ui-cw-error-required = This needs an answer.
ui-cw-error-not-listed = Choose one of the listed answers.
ui-cw-error-time = Write a date and time with its offset, such as 2026-12-07T10:20:00+09:00.
ui-cw-error-consent = Record the person's consent and tick this box; without it, nothing can be sent.
ui-cw-error-documents = "None" cannot be ticked together with a document.
ui-cw-error-documents-none = Tick at least one: "none" if the person holds no document.
ui-cw-error-desk = Choose the desk to send the referral to.
ui-cw-error-upload = The files could not be received ({ $error }). Choose them again; together they may be at most 64 MB.

ui-cw-sent-title = Referral sent
ui-cw-sent = The referral was sent to { $desk } with { $attachments ->
        [0] no attachments
        [one] one attachment
       *[other] { $attachments } attachments
    }.
ui-cw-sent-thread = Case thread
ui-cw-sent-open-case = Open the case
ui-cw-sent-to-cases = All cases
ui-cw-sent-another = Write another referral
ui-cw-sent-classic = It went with classic encryption, because a device at this desk or at yours has no post-quantum key yet. It is protected today, but not against a future quantum computer. Ask your administrator: `referral directory` shows which devices need `referral rotate`.
ui-cw-no-such-case = This device has no such case.

ui-cw-cases-title = Cases
ui-cw-cases-search = Search
ui-cw-cases-search-hint = A case reference, a name or a phone number.
ui-cw-cases-status = Status
ui-cw-cases-any-status = Any status
ui-cw-cases-apply = Show
ui-cw-cases-none-found = No case matches "{ $query }".
ui-cw-cases-count = { $count ->
        [one] One case.
       *[other] { $count } cases.
    }
ui-cw-cases-reference = Reference
ui-cw-cases-person = Person
ui-cw-cases-desk = Desk
ui-cw-cases-changed = Last change
ui-cw-cases-no-reference = (no reference)
ui-cw-cases-no-name = (no name given)

ui-cw-report-title = Report
ui-cw-report-since = Count cases referred since
ui-cw-report-since-hint = Leave empty for all dates. The day starts at 00:00 UTC.
ui-cw-report-show = Show
ui-cw-report-bad-since = Choose a date, such as 2026-04-01.
ui-cw-report-csv = Download as CSV
ui-cw-report-none = No cases to count.
ui-cw-report-item = Item

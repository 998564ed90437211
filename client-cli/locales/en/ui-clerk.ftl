# `referral ui`: the desk clerk's pages (client-cli/src/ui/routes/clerk/,
# client-cli/src/ui/routes/inbox.rs).

ui-clerk-open-cases-title = Open cases
ui-clerk-open-cases-none = Your desk has no open cases.
ui-clerk-open-cases-caption = { $count ->
        [one] One case your desk received is still open.
       *[other] { $count } cases your desk received are still open.
    }
ui-clerk-column-need = Need
ui-clerk-column-urgency = Urgency
ui-clerk-column-arrived = Arrived
ui-clerk-view-case = View case
ui-clerk-not-found-title = Case not found
ui-clerk-no-case = This device has no such case or attachment. Cases appear here once their packet has been opened on this device.
ui-clerk-case-from = Case from { $desk }
ui-clerk-case-to = Case sent to { $desk }
ui-clerk-done-reply = Your answer was sent.
ui-clerk-done-forward = The case was forwarded.
ui-clerk-offline = The broker could not be reached: this is the case as this device last saw it.
ui-clerk-refresh-failed = The case could not be brought up to date; this is how this device last saw it.
ui-clerk-summary = Summary
ui-clerk-status = Status
ui-clerk-from-desk = From desk
ui-clerk-to-desk = To desk
ui-clerk-referred-at = Referred
ui-clerk-forwarded-from = Forwarded by
ui-clerk-forward-note = Note from the forwarding desk
ui-clerk-forwarded-to = Forwarded to
ui-clerk-attachments-none = This referral has no attachments.
ui-clerk-attachment-name = File name
ui-clerk-attachment-type = Type
ui-clerk-attachment-size = Size
ui-clerk-download = Download
ui-clerk-download-hint = Files are downloaded, never opened in the browser. Open only files you expected from this desk.
ui-clerk-size-bytes = { $count ->
        [one] { $count } byte
       *[other] { $count } bytes
    }
ui-clerk-size-kb = { $size } KB
ui-clerk-size-mb = { $size } MB
ui-clerk-history = History
ui-clerk-history-when = When
ui-clerk-history-desk = Desk
ui-clerk-history-details = Details
ui-clerk-unsigned = reported by the broker, not signed
ui-clerk-answer-title = Answer
ui-clerk-answer-none = The case is { $status }: there is nothing to answer now.
ui-clerk-answer-status = New status
ui-clerk-answer-message = Message to the other desk (optional)
ui-clerk-answer-reason = Reason for declining
ui-clerk-answer-reason-hint = Required if you decline the case.
ui-clerk-answer-outcome = Outcome
ui-clerk-answer-outcome-hint = Required if you complete the case: say what came of it.
ui-clerk-answer-privacy = The texts are encrypted for the two desks; the broker sees only the new status.
ui-clerk-answer-send = Send answer
ui-clerk-error-status = Choose one of the statuses listed.
ui-clerk-error-reason = Say why you decline the case.
ui-clerk-error-outcome = Say what came of the case.
ui-clerk-error-too-long = This text is too long: at most { $max } bytes. Put longer texts in an attachment.
ui-clerk-forward-title = Forward to another desk
ui-clerk-forward-explain = The person agreed that this referral may be passed on. The other desk receives the referral, its attachments and your note; this case is then marked forwarded.
ui-clerk-forward-no-consent = The person agreed to this desk only: this case cannot be forwarded.
ui-clerk-forward-no-directory = The list of desks could not be loaded.
ui-clerk-forward-no-desks = There is no other desk in the directory.
ui-clerk-forward-to = Desk
ui-clerk-forward-choose = Choose a desk
ui-clerk-desk-option = { $name } ({ $desk })
ui-clerk-forward-note-label = Note for the other desk (optional)
ui-clerk-forward-note-hint = Encrypted like the referral; only the two desks can read it.
ui-clerk-forward-send = Forward
ui-clerk-error-desk = Choose the desk to forward the case to.

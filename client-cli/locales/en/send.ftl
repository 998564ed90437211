# `referral send`, `reply` and `forward`: what was sent, and refusals before
# anything is sealed (client-cli/src/commands/{send,reply,forward}.rs).

send-done = Sent { $kind } { $packet } to { $desk } ({ $bytes } bytes, { $attachments ->
        [one] 1 attachment
       *[other] { $attachments } attachments
    }, encrypted to { $keys ->
        [one] 1 device key
       *[other] { $keys } device keys
    }).
send-thread = thread:  { $thread }
send-next = Follow the case with: referral thread { $thread }
send-cannot-read = cannot read { $path }: { $error }
reply-done = Replied on thread { $thread }: the case is now { $status } (packet { $packet }, { $bytes } bytes, to { $desk }).
reply-refused-as-recipient = the case is { $current_words } ({ $current }); as the desk the case was sent to, this desk cannot make it { $status }.
reply-refused-as-sender = the case is { $current_words } ({ $current }); as the desk that sent the case, this desk cannot make it { $status }.
reply-open-first = Open the referral first (`referral inbox`, `referral open PACKET`): opening it acknowledges receipt, and then the desk can answer.
reply-no-further-change = No further change is possible.
reply-possible-now = Possible now: { $statuses }.
reply-no-local-record = this device has no record of thread { $thread } (the case was opened on another device): the reply was sent, but only that device's case store has the case
forward-random-failed = the system random generator failed
forward-cannot-create = cannot create { $path }: { $error }
forward-to-own-desk = the case is already at { $desk }; forward it to another desk
forward-not-opened = this device has not opened packet { $packet } yet: run `referral open { $packet }` first
forward-only-recipient = only the desk a referral was sent to can forward it; this desk sent it
forward-is-a-reply = packet { $packet } is a reply; forward the referral that opened the case
forward-no-consent = the person's consent does not allow onward referral (consent.scope is { $scope }, not { $allowed }): the referral was not forwarded. The caseworker who referred the case must record the person's consent first
forward-attachment-not-saved = attachment { $name } was not saved

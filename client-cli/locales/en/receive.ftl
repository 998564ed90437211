# Receiving, checking and sending packets: warnings, refusals, progress
# (client-cli/src/workflow/).

progress-fetch = fetch
progress-upload = upload
progress-seal = seal
receive-attachment-renamed = the attachment named { $name } was saved as { $path }: that name was taken, or it held characters that would make it display as another name
receive-not-for-this-device = { $error }: it was not addressed to this device (it may have been sealed before this device joined its desk, or for another desk)
receive-refused = refusing the packet: { $error }. It was not shown or kept; tell your administrator
receive-downgrade = refusing the packet: it was sealed with classic encryption ({ $signed }), although every device it was for already had a post-quantum key. A sender's program would not do that; someone may be trying to weaken the encryption. It was not shown or kept; tell your administrator
receive-classic-after-policy = refusing the packet: it was sealed with classic encryption ({ $signed }), after the directory began to require post-quantum encryption ({ $since }). It was not shown or kept; tell your administrator, and ask the sender to send it again
receive-malformed = the packet verified, but its { $content_type } content is malformed: { $error }
receive-referral-not-v1 = the referral does not follow schema v1 in { $count ->
        [one] 1 place
       *[other] { $count } places
    }; it is shown as sent:
    { $problems }
receive-unknown-content = the packet verified, but holds content of type { $content_type }, which this version of referral does not read
receive-reply-not-kept = this device has no record of thread { $thread } (it was started from another device); the reply is shown but not kept in this device's case store
receive-not-a-party = refusing packet { $packet } on thread { $thread }: it is signed as sent by { $sender } to { $recipient }, but the case is between { $ours } and { $other }. A desk that is not a party to the case may not change it; the packet was not recorded or acknowledged. Tell your administrator
receive-forward-forged = refusing forward { $packet }: its content says it was forwarded by { $claimed }, but it is signed by { $signer }. It was not shown or kept; tell your administrator
reply-needs-reason = a rejection must say why: add --reason "..." (it is encrypted; the broker sees only the status)
reply-needs-outcome = a completion must say what came of it: add --outcome "..." (it is encrypted; the broker sees only the status)
reply-text-too-long = --{ $name } is longer than { $max } bytes
attach-these-refused = cannot attach these files: { $error }
attach-refused = cannot attach { $path }: { $error }
attach-not-a-file = not a regular file
attach-no-name = no file name

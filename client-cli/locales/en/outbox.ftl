# `referral outbox`: sealed packets waiting to be sent again (ADR 0015).

outbox-empty = Nothing is waiting in the outbox.
outbox-entry = { $id }  to { $desk }  { $size }  sealed { $age }
outbox-hint = To send one again, run the same send, reply or forward command again; the broker stores it at most once. To give one up: referral outbox drop ID
outbox-dropped = Removed packet { $id } (to { $desk }) from the outbox. It was not sent; nothing changed on the broker.
outbox-size-kib = { $kib } KiB
outbox-size-mib = { $mib } MiB
outbox-age-now = just now
outbox-age-minutes = { $count ->
    [one] 1 minute ago
   *[other] { $count } minutes ago
}
outbox-age-hours = { $count ->
    [one] 1 hour ago
   *[other] { $count } hours ago
}
outbox-age-days = { $count ->
    [one] 1 day ago
   *[other] { $count } days ago
}
# The send could not finish: what was kept, and how to go on.
outbox-kept = The sealed packet { $id } (to { $desk }) is kept in the outbox. To send it, run the same command again; the broker stores it at most once. To give it up: referral outbox drop { $id }
outbox-retrying = Attempt { $attempt } of { $attempts } did not reach the broker; trying again in { $ms } ms with the same packet.
# Ctrl-C during the upload.
outbox-interrupted = Stopped. { $kept }

# `referral thread`: a case's history (client-cli/src/commands/thread.rs).

thread-title = Thread { $thread }: { $status }
thread-status-from-broker = { $status } (reported by the broker)
thread-sent-to = sent to { $desk }
thread-received-from = received from { $desk }
thread-offline = (offline: this device's history only)
thread-offline-warning = showing this device's own history only
thread-event-by = { " " }by { $desk }
thread-event-unsigned = { "  " }(reported by the broker, unsigned)
thread-no-case = no case with thread { $thread } for this desk (`referral cases` lists this device's)
thread-unknown-status = the broker reported an unknown thread status: { $error }
# A case the broker deleted after its retention period (ADR 0019 §1):
# `reply` and `forward` end with the first, `thread` shows the second.
case-closed-at-broker = Case { $thread } is closed at the broker: it had been closed for a while, so the broker deleted it after its retention period, and nothing more can be sent on it. This device keeps its own history of the case (referral thread { $thread }). If the person needs more help, send a new referral (referral new --interactive, then referral send).
thread-closed-at-broker = The broker no longer has this case: it had been closed for a while and was deleted after the broker's retention period. The history below is this device's own. If the person needs more help, send a new referral.

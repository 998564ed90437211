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

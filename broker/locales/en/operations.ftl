# What `referral-broker` tells its operator on the terminal. Logs stay in
# English (ADR 0012).

purge-done = Purged { $purged } acknowledged { $purged ->
        [one] packet
       *[other] packets
    }, expired { $expired } unread { $expired ->
        [one] packet
       *[other] packets
    }, deleted { $threads } closed { $threads ->
        [one] thread
       *[other] threads
    } past the retention period (kept as weekly counts), removed { $spool_files } spool { $spool_files ->
        [one] file
       *[other] files
    } left by a crash.

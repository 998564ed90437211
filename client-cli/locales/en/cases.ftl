# `referral cases`: this device's cases (client-cli/src/commands/cases.rs).

cases-none = No cases.
cases-column-thread = thread
cases-column-status = status
cases-column-direction = sent/rcv
cases-column-other-desk = other desk
cases-column-need = need
cases-column-language = language
cases-column-prefecture = pref.
cases-column-referred = referred
cases-direction-sent = sent
cases-direction-received = received
cases-footnote-broker = * reported by the broker, not by a signed packet
cases-count = { $count ->
        [one] 1 case
       *[other] { $count } cases
    }. Details: referral thread THREAD
cases-bad-status = --status: { $error }

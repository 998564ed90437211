# `referral ui`: the local web app (client-cli/src/ui/).

ui-app-name = Referral desk
ui-listening = The web app is open at { $url }
    It serves this computer only. Keep this window open; press Ctrl-C to stop.
ui-cannot-listen = Cannot listen on { $address }: is another program using that port?
ui-browser-not-opened = No browser could be opened: copy the address above into your browser.
ui-skip-to-content = Skip to the content
ui-nav-label = Main
ui-nav-inbox = Inbox
ui-nav-cases = Cases
ui-nav-new = New referral
ui-nav-report = Report
ui-nav-outbox = Outbox
ui-nav-admin = Administration
ui-lock = Lock
ui-desk-named = { $name } ({ $desk })
ui-language-label = Language
ui-trust-verified = Directory verified: { $entries } entries, head { $head }…, checked { $at }
ui-trust-not-yet = The directory has not been checked with the broker since the app was unlocked.
ui-back-home = Back to the inbox
ui-refused-host = This address is not the web app's. Open the address that `referral ui` printed.
ui-refused-no-session = You are not signed in to this web app. Open the address that `referral ui` printed in its window; if it was already used, stop `referral ui` with Ctrl-C and start it again.
ui-refused-cross-site = This request came from another site and was refused. Use the app's own buttons.
ui-failure-user = That could not be done
ui-failure-broker = The broker could not be reached
ui-failure-verification = A check failed: nothing was shown or kept
ui-locked = The app is locked. Enter your passphrase to go on.
ui-unlock-title = Unlock
ui-unlock-explain = Enter this device's keystore passphrase. Your keys stay on this computer and are wiped from memory when the app locks.
ui-unlock-passphrase = Passphrase
ui-unlock-button = Unlock
ui-unlock-lock-note = The app locks itself after a while without use; the Lock button locks it now.
ui-unlock-wrong = That passphrase is not right. Check the keyboard's input mode and try again.
ui-inbox-title = Inbox
ui-inbox-caption = { $count ->
        [one] One packet is waiting for your desk.
       *[other] { $count } packets are waiting for your desk.
    }
ui-inbox-action = Action
ui-inbox-open = Open

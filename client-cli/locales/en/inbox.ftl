# `referral inbox`: packets waiting for this desk (client-cli/src/commands/inbox.rs).

inbox-none = No packets waiting.
inbox-column-packet = packet
inbox-column-thread = thread
inbox-column-from = from
inbox-column-kind = kind
inbox-column-bytes = bytes
inbox-column-received = received
inbox-next = Open one with: referral open PACKET [--save-attachments DIR]

# referral inbox：この窓口宛ての未開封パケット。

inbox-none = 届いているパケットはありません。
inbox-column-packet = パケットID
inbox-column-thread = 案件ID
inbox-column-from = 送信元
inbox-column-kind = 種類
inbox-column-bytes = バイト数
inbox-column-received = 受信
inbox-next = 開くには referral open パケットID [--save-attachments DIR] を実行してください。

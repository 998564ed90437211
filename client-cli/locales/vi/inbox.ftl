# referral inbox: các gói đang chờ quầy hỗ trợ này.

inbox-none = Không có gói nào đang chờ.
inbox-column-packet = mã gói
inbox-column-thread = mã hồ sơ
inbox-column-from = từ
inbox-column-kind = loại
inbox-column-bytes = byte
inbox-column-received = đã nhận
inbox-next = Mở một gói bằng: referral open MÃ_GÓI [--save-attachments DIR]

# 列挙値の表示名（client-cli/src/referral/words.rs）：紹介の項目、案件の状況、役割、言語名。


need-vaccination-voucher = ワクチン接種券
need-vaccination-booking = ワクチン接種の予約
need-interpretation = 通訳
need-medical = 医療
need-legal = 法律相談
need-housing = 住まい
need-labour = 仕事・労働
need-livelihood = 生活（お金・食料）
need-other = その他

urgency-low = 低
urgency-normal = 通常
urgency-high = 高
urgency-urgent = 至急

residence-resident-registered = 在留カードあり・住民登録あり
residence-short-term-3-months-or-less = 短期滞在（3か月以内）
residence-provisional-release = 仮放免
residence-applying-provisional-release = 仮放免を申請中
residence-undocumented = 在留資格なし
residence-unknown = 不明・回答なし

document-immigration-postcard = 入管からのはがき
document-passport = パスポート
document-proof-of-residency = 居住を証明する書類
document-provisional-release-permit = 仮放免許可書
document-none = なし

consent-this-desk = この窓口のみ（他の窓口への紹介は不可）
consent-onward-referral-allowed = この窓口と、他の窓口への紹介も可

status-sent = 送信済み
status-received = 受信済み
status-accepted = 受付
status-rejected = 受付不可
status-in-progress = 対応中
status-completed = 完了
status-cancelled = 取消
status-forwarded = 転送
status-expired = 期限切れ

role-caseworker = 相談員
role-desk = 窓口
role-admin = 管理者

device-status-active = 有効
device-status-revoked = 失効

language-ja = 日本語（やさしい日本語）
language-en = 英語
language-zh-hans = 中国語（簡体字）
language-zh-hant = 中国語（繁体字）
language-ko = 韓国語
language-es = スペイン語
language-pt = ポルトガル語
language-vi = ベトナム語
language-ne = ネパール語
language-th = タイ語
language-id = インドネシア語
language-tl = タガログ語
language-my = ミャンマー語
language-km = クメール語
language-mn = モンゴル語
language-fr = フランス語
language-si = シンハラ語
language-ur = ウルドゥー語
language-bn = ベンガル語
language-ar = アラビア語
language-fa = ペルシア語
language-ms = マレー語
language-ru = ロシア語

prefecture-jp-01 = 北海道
prefecture-jp-02 = 青森県
prefecture-jp-03 = 岩手県
prefecture-jp-04 = 宮城県
prefecture-jp-05 = 秋田県
prefecture-jp-06 = 山形県
prefecture-jp-07 = 福島県
prefecture-jp-08 = 茨城県
prefecture-jp-09 = 栃木県
prefecture-jp-10 = 群馬県
prefecture-jp-11 = 埼玉県
prefecture-jp-12 = 千葉県
prefecture-jp-13 = 東京都
prefecture-jp-14 = 神奈川県
prefecture-jp-15 = 新潟県
prefecture-jp-16 = 富山県
prefecture-jp-17 = 石川県
prefecture-jp-18 = 福井県
prefecture-jp-19 = 山梨県
prefecture-jp-20 = 長野県
prefecture-jp-21 = 岐阜県
prefecture-jp-22 = 静岡県
prefecture-jp-23 = 愛知県
prefecture-jp-24 = 三重県
prefecture-jp-25 = 滋賀県
prefecture-jp-26 = 京都府
prefecture-jp-27 = 大阪府
prefecture-jp-28 = 兵庫県
prefecture-jp-29 = 奈良県
prefecture-jp-30 = 和歌山県
prefecture-jp-31 = 鳥取県
prefecture-jp-32 = 島根県
prefecture-jp-33 = 岡山県
prefecture-jp-34 = 広島県
prefecture-jp-35 = 山口県
prefecture-jp-36 = 徳島県
prefecture-jp-37 = 香川県
prefecture-jp-38 = 愛媛県
prefecture-jp-39 = 高知県
prefecture-jp-40 = 福岡県
prefecture-jp-41 = 佐賀県
prefecture-jp-42 = 長崎県
prefecture-jp-43 = 熊本県
prefecture-jp-44 = 大分県
prefecture-jp-45 = 宮崎県
prefecture-jp-46 = 鹿児島県
prefecture-jp-47 = 沖縄県

packet-kind-referral = 紹介
packet-kind-reply = 返信
packet-kind-forward = 転送

# The words for the enumerations people read (client-cli/src/referral/words.rs):
# the referral's code lists, case statuses, roles and language names.


need-vaccination-voucher = vaccination voucher
need-vaccination-booking = vaccination booking
need-interpretation = interpreter
need-medical = medical care
need-legal = legal advice
need-housing = housing
need-labour = work and employment
need-livelihood = daily living (money, food)
need-other = other

urgency-low = low
urgency-normal = normal
urgency-high = high
urgency-urgent = urgent

residence-resident-registered = resident, registered
residence-short-term-3-months-or-less = short-term stay (3 months or less)
residence-provisional-release = provisional release
residence-applying-provisional-release = applying for provisional release
residence-undocumented = no status of residence
residence-unknown = unknown or not said

document-immigration-postcard = immigration postcard
document-passport = passport
document-proof-of-residency = proof of residency
document-provisional-release-permit = provisional release permit
document-none = none

consent-this-desk = this desk only (no onward referral)
consent-onward-referral-allowed = this desk, and onward referral allowed

status-sent = sent
status-received = received
status-accepted = accepted
status-rejected = declined
status-in-progress = in progress
status-completed = completed
status-cancelled = cancelled
status-forwarded = forwarded
status-expired = expired

role-caseworker = caseworker
role-desk = desk
role-admin = administrator

device-status-active = active
device-status-revoked = revoked

language-ja = Japanese (easy Japanese)
language-en = English
language-zh-hans = Chinese (simplified)
language-zh-hant = Chinese (traditional)
language-ko = Korean
language-es = Spanish
language-pt = Portuguese
language-vi = Vietnamese
language-ne = Nepali
language-th = Thai
language-id = Indonesian
language-tl = Tagalog
language-my = Burmese
language-km = Khmer
language-mn = Mongolian
language-fr = French
language-si = Sinhala
language-ur = Urdu
language-bn = Bengali
language-ar = Arabic
language-fa = Persian
language-ms = Malay
language-ru = Russian

prefecture-jp-01 = Hokkaido
prefecture-jp-02 = Aomori
prefecture-jp-03 = Iwate
prefecture-jp-04 = Miyagi
prefecture-jp-05 = Akita
prefecture-jp-06 = Yamagata
prefecture-jp-07 = Fukushima
prefecture-jp-08 = Ibaraki
prefecture-jp-09 = Tochigi
prefecture-jp-10 = Gunma
prefecture-jp-11 = Saitama
prefecture-jp-12 = Chiba
prefecture-jp-13 = Tokyo
prefecture-jp-14 = Kanagawa
prefecture-jp-15 = Niigata
prefecture-jp-16 = Toyama
prefecture-jp-17 = Ishikawa
prefecture-jp-18 = Fukui
prefecture-jp-19 = Yamanashi
prefecture-jp-20 = Nagano
prefecture-jp-21 = Gifu
prefecture-jp-22 = Shizuoka
prefecture-jp-23 = Aichi
prefecture-jp-24 = Mie
prefecture-jp-25 = Shiga
prefecture-jp-26 = Kyoto
prefecture-jp-27 = Osaka
prefecture-jp-28 = Hyogo
prefecture-jp-29 = Nara
prefecture-jp-30 = Wakayama
prefecture-jp-31 = Tottori
prefecture-jp-32 = Shimane
prefecture-jp-33 = Okayama
prefecture-jp-34 = Hiroshima
prefecture-jp-35 = Yamaguchi
prefecture-jp-36 = Tokushima
prefecture-jp-37 = Kagawa
prefecture-jp-38 = Ehime
prefecture-jp-39 = Kochi
prefecture-jp-40 = Fukuoka
prefecture-jp-41 = Saga
prefecture-jp-42 = Nagasaki
prefecture-jp-43 = Kumamoto
prefecture-jp-44 = Oita
prefecture-jp-45 = Miyazaki
prefecture-jp-46 = Kagoshima
prefecture-jp-47 = Okinawa

packet-kind-referral = referral
packet-kind-reply = reply
packet-kind-forward = forward

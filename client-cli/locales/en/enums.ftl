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

consent-this-desk = this desk only
consent-onward-referral-allowed = this desk, which may refer the case onward

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

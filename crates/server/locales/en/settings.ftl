# Settings > Account Settings: the Users and Partners tabs (English).
settings-account = Account Settings
tab-users = Users
tab-partners = Partners

users-title = Users
users-add = Add user
users-add-submit = Add user
users-password-hint = Leave it empty to send the user an e-mail with a link to set a password.
users-col-state = State
users-active = Active
users-inactive = Deactivated
users-change-profile = Change
users-deactivate = Deactivate
users-activate = Activate
ok-user_added = The user was added.
ok-user_changed = The user was changed.

partners-title = Partners
partners-new-invitation = Send new partner invitation
partners-send-box = Send invitation
partners-invite-email = E-mail address of a user in the partner organization
partners-send = Send
partners-none = No partners or partner requests yet.
partners-col-partner = Partner account
partners-col-email = Invited address
partners-col-sent-by = Sent by
partners-col-sent-on = Sent on
partners-col-status = Status
partners-changed-on = since
partners-col-actions = Actions
partners-unknown-account = Shown once the request has been accepted
partners-accept = Accept
partners-reject = Reject and ignore
partners-menu = More actions
partners-delete = Delete
direction-sent = Sent
direction-received = Received
status-pending = Pending
status-accepted = Accepted
status-rejected = Rejected

ok-sent = The partner invitation was sent.
ok-accepted = The partner request was accepted. You are now partners.
ok-rejected = The partner request was rejected.
ok-deleted = Deleted.

error-own_account = This address belongs to a user of your own account.
error-already_partners = Your account is already a partner of this organization.
error-already_invited = A partner request to this address is already pending.
error-rejected_invitation = A partner request to this address was rejected. Both sides must delete it before you can send another.
error-incoming_request_pending = This organization has already sent your account a partner request: accept that one instead.
error-rate_limited = Too many partner requests in the last hour. Try again later.
error-invalid_state = This request can no longer be answered that way: it was already accepted, rejected, or sent by your own account.

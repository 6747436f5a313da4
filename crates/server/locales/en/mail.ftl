# The e-mails (English). Each kind has a subject and a body; the server adds the body's
# last line break. The settings path and the profile names are the pages' own words.
# Selector arguments are "yes" or "no".

## An admin added the recipient as a user without a password.
mail-user-invited-subject = Your Coproof account at { $account }
mail-user-invited-body =
    Hello,

    { $inviter } added you as a user of { $account } on Coproof. Set your password with this link (it works for 7 days):

    { $link }

## A partner request was sent to the recipient's address ($has_account: whether the
## address is a user's here already; $link then goes to the Partners tab, else to sign-up).
mail-partner-invitation-subject = { $account } invites you to be partners on Coproof
mail-partner-invitation-body =
    Hello,

    { $inviter } of { $account } has sent your organization a partner invitation on Coproof. Partners share proofs, files, folders and contact details with each other.

    { $has_account ->
        [yes] To see the invitation:
       *[no] To create your account:
    }
    { $link }

    An { profile-admin } or { profile-billing_admin } can accept or reject it under { nav-settings } > { settings-account } > { tab-partners }.

## The recipient's partner request was accepted.
mail-partner-accepted-subject = { $account } accepted your partner request
mail-partner-accepted-body =
    Hello,

    { $account } accepted your partner request. Each account's users now appear as members on the other's Contacts page.

    { $link }

## The recipient's partner request was rejected. The account is named ($named: yes) only
## to a sender that has been its partner: an address must not reveal its organization.
mail-partner-rejected-subject = Your partner request was rejected
mail-partner-rejected-body =
    Hello,

    { $named ->
        [yes] { $account } rejected the partner request you sent to { $email }.
       *[no] The partner request you sent to { $email } was rejected.
    }

    { $link }

## The recipient's partner request expired unanswered.
mail-partner-expired-subject = Your partner request expired
mail-partner-expired-body =
    Hello,

    Nobody answered the partner request you sent to { $email } in time, so it has expired. You may send a new one.

    { $link }

## Something was shared with the recipient.
mail-item-shared-subject = { $sharer } shared "{ $item }" with you
mail-item-shared-body =
    Hello,

    { $sharer } shared "{ $item }" with you on Coproof.

    { $link }

## The recipient should confirm its address.
mail-verify-email-subject = Confirm your e-mail address for Coproof
mail-verify-email-body =
    Hello { $name },

    Open this link to confirm that this address is yours (it works once, for 24 hours):

    { $link }

    Until you do, partner requests sent to this address wait, and you cannot send any. If you did not sign up for Coproof, ignore this e-mail.

## The recipient asked for a password-reset link.
mail-password-reset-subject = Reset your Coproof password
mail-password-reset-body =
    Hello { $name },

    Someone asked to reset the password of this address on Coproof. Set a new one with this link (it works once, for one hour):

    { $link }

    If it was not you, ignore this e-mail: your password stays as it is.

# 전자 메일 (한국어). 종류마다 제목과 본문이 있으며, 본문의 마지막 줄바꿈은 서버가 붙입니다.
# 설정 경로와 프로필 이름은 페이지의 단어를 그대로 씁니다. 선택 인수는 "yes" 또는 "no"입니다.

## 관리자가 암호 없이 사용자로 추가함.
mail-user-invited-subject = { $account }의 Coproof 계정이 만들어졌습니다
mail-user-invited-body =
    안녕하세요.

    { $inviter }님이 Coproof의 { $account } 계정에 귀하를 사용자로 추가했습니다. 아래 링크에서 비밀번호를 설정하십시오 (7일 동안 유효):

    { $link }

## 받는 사람의 주소로 파트너 요청이 옴 ($has_account: 이미 이곳의 사용자 주소인지).
mail-partner-invitation-subject = { $account }에서 파트너 초대를 보냈습니다
mail-partner-invitation-body =
    안녕하세요.

    { $account }의 { $inviter }님이 Coproof에서 귀하의 조직에 파트너 초대를 보냈습니다. 파트너가 되면 { item-kind-proof }, 파일, 폴더와 연락처 세부 정보를 서로 공유할 수 있습니다.

    { $has_account ->
        [yes] 초대를 확인하려면:
       *[no] 계정을 만들려면:
    }
    { $link }

    { profile-admin } 또는 { profile-billing_admin }가 { nav-settings } > { settings-account } > { tab-partners } 탭에서 수락하거나 거부할 수 있습니다.

## 받는 사람의 파트너 요청이 수락됨.
mail-partner-accepted-subject = { $account }에서 파트너 요청을 수락했습니다
mail-partner-accepted-body =
    안녕하세요.

    { $account }에서 파트너 요청을 수락했습니다. 이제 서로의 사용자가 연락처 페이지에 구성원으로 표시됩니다.

    { $link }

## 받는 사람의 파트너 요청이 거부됨. 파트너였던 적이 있는 계정만 이름을 밝힙니다 ($named: yes).
mail-partner-rejected-subject = 파트너 요청이 거부되었습니다
mail-partner-rejected-body =
    안녕하세요.

    { $named ->
        [yes] { $email }에게 보낸 파트너 요청을 { $account }에서 거부했습니다.
       *[no] { $email }에게 보낸 파트너 요청이 거부되었습니다.
    }

    { $link }

## 받는 사람의 파트너 요청이 응답 없이 만료됨.
mail-partner-expired-subject = 파트너 요청이 만료되었습니다
mail-partner-expired-body =
    안녕하세요.

    { $email }에게 보낸 파트너 요청에 기한 안에 응답이 없어 요청이 만료되었습니다. 새 요청을 보낼 수 있습니다.

    { $link }

## 받는 사람과 무언가를 공유함.
mail-item-shared-subject = { $sharer }님이 "{ $item }"을(를) 공유했습니다
mail-item-shared-body =
    안녕하세요.

    { $sharer }님이 "{ $item }"을(를) 귀하와 공유했습니다.

    { $link }

## 받는 사람이 주소를 확인해야 함.
mail-verify-email-subject = Coproof 이메일 주소를 확인하십시오
mail-verify-email-body =
    { $name }님, 안녕하세요.

    이 주소가 귀하의 것인지 확인하려면 아래 링크를 여십시오 (24시간 동안 한 번 사용할 수 있습니다):

    { $link }

    확인하기 전에는 이 주소로 보낸 파트너 요청을 받을 수 없고 파트너 요청을 보낼 수도 없습니다. Coproof에 가입하지 않았다면 이 메일을 무시하십시오.

## 받는 사람이 비밀번호 재설정 링크를 요청함.
mail-password-reset-subject = Coproof 비밀번호 재설정
mail-password-reset-body =
    { $name }님, 안녕하세요.

    비밀번호 재설정을 요청하셨습니다. 아래 링크에서 새 비밀번호를 설정하십시오 (1시간 동안 한 번 사용할 수 있습니다):

    { $link }

    요청하지 않았다면 이 메일을 무시하십시오. 비밀번호는 바뀌지 않습니다.

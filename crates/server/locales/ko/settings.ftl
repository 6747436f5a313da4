# 설정 > 계정 설정: 사용자 탭과 파트너 탭 (한국어).
settings-account = 계정 설정
tab-users = 사용자
tab-partners = 파트너

users-title = 사용자
users-add = 사용자 추가
users-add-submit = 사용자 추가
users-password-hint = 비워 두면 암호를 설정하는 링크가 담긴 전자 메일이 사용자에게 전송됩니다.
users-col-state = 상태
users-active = 활성
users-inactive = 비활성화됨
users-change-profile = 변경
users-deactivate = 비활성화
users-activate = 활성화
ok-user_added = 사용자를 추가했습니다.
ok-user_changed = 사용자를 변경했습니다.

partners-title = 파트너
partners-new-invitation = 새 파트너 초대 보내기
partners-send-box = 초대 보내기
partners-invite-email = 파트너 조직 내 사용자의 전자 메일 주소
partners-send = 보내기
partners-none = 아직 파트너나 파트너 요청이 없습니다.
partners-col-partner = 파트너 계정
partners-col-email = 초대한 주소
partners-col-sent-by = 보낸 사람
partners-col-sent-on = 보낸 날짜
partners-col-status = 상태
partners-changed-on = 변경:
partners-col-actions = 작업
partners-unknown-account = 요청이 수락되면 표시됩니다
partners-accept = 수락
partners-reject = 거부 및 무시
partners-menu = 추가 작업
partners-delete = 삭제
direction-sent = 보냄
direction-received = 받음
status-pending = 대기 중
status-accepted = 수락됨
status-rejected = 거부됨

ok-sent = 파트너 초대를 보냈습니다.
ok-accepted = 파트너 요청을 수락했습니다. 이제 파트너입니다.
ok-rejected = 파트너 요청을 거부했습니다.
ok-deleted = 삭제했습니다.

error-own_account = 이 주소는 내 계정의 사용자 주소입니다.
error-already_partners = 내 계정은 이미 이 조직의 파트너입니다.
error-already_invited = 이 주소로 보낸 파트너 요청이 이미 대기 중입니다.
error-rejected_invitation = 이 주소로 보낸 파트너 요청이 거부되었습니다. 양쪽 모두 삭제해야 다시 초대를 보낼 수 있습니다.
error-incoming_request_pending = 이 조직이 이미 내 계정에 파트너 요청을 보냈습니다. 그 요청을 수락하십시오.
error-rate_limited = 지난 한 시간 동안 파트너 요청을 너무 많이 보냈습니다. 나중에 다시 시도하십시오.
error-invalid_state = 이 요청에는 더 이상 이 작업을 할 수 없습니다. 이미 수락 또는 거부되었거나 내 계정에서 보낸 요청입니다.

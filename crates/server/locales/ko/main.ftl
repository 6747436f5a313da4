# 페이지 틀, 탐색, 로그인 페이지와 오류 (한국어).
skip-to-content = 본문으로 건너뛰기
nav-label = 주 메뉴
nav-home = 홈
nav-contacts = 연락처
nav-settings = 설정
nav-logout = 로그아웃
nav-login = 로그인
nav-signup = 가입하기
lang-label = 언어
lang-en = English
lang-ko = 한국어
list-next = 다음 페이지

field-email = 전자 메일 주소
field-password = 암호
field-password-hint = 8자 이상이어야 합니다.
field-password-optional = 암호 (선택 사항)
field-new-password = 새 암호
field-confirm-password = 새 암호 다시 입력
field-account-name = 조직(계정) 이름
field-name = 이름
field-language = 언어
field-profile = 프로필

login-title = 로그인
login-submit = 로그인
login-no-account = 아직 계정이 없으십니까?
signup-title = 계정 만들기
signup-submit = 계정 만들기
signup-have-account = 이미 계정이 있으십니까?
set-password-title = 암호 설정
set-password-submit = 암호 설정

home-title = 홈
home-signed-in-as = { $name }(으)로 로그인했습니다

profile-billing_admin = 청구 관리자
profile-admin = 관리자
profile-supervisor = 감독자
profile-manager = 매니저
profile-observer = 관찰자
profile-visitor = 방문자

ok-signed_up = 계정이 준비되었습니다.
ok-signed_out = 로그아웃했습니다.
ok-password_set = 암호가 설정되었습니다. 이제 로그인하십시오.

error-title = 문제가 발생했습니다
error-back-home = 홈 페이지로 돌아가기
error-generic = 문제가 발생했습니다. 다시 시도하십시오.
error-internal = 서버에서 문제가 발생했습니다. 잠시 후 다시 시도하십시오.
error-unavailable = 서버가 사용 중입니다. 잠시 후 다시 시도하십시오.
error-csrf = 이 양식이 만료되었습니다. 페이지를 다시 불러온 후 다시 시도하십시오.
error-payload_too_large = 보낸 내용이 너무 큽니다.
error-invalid_input = 입력란을 확인하십시오. 빠졌거나 너무 길거나 허용되지 않는 값이 있습니다.
error-invalid_email = 올바른 전자 메일 주소가 아닙니다.
error-invalid_password = 암호는 8자 이상 1024자 이하여야 합니다.
error-password_mismatch = 두 암호가 같지 않습니다.
error-email_taken = 이 전자 메일 주소를 사용하는 사용자가 이미 있습니다.
error-signup_disabled = 이 서버에서는 가입할 수 없습니다. 관리자에게 계정을 요청하십시오.
error-invalid_credentials = 전자 메일 주소 또는 암호가 올바르지 않습니다.
error-unauthenticated = 먼저 로그인하십시오.
error-forbidden = 프로필 권한으로는 이 작업을 할 수 없습니다.
error-forbidden_admin = 프로필 권한으로는 이 작업을 할 수 없습니다. 관리자 또는 청구 관리자만 할 수 있습니다.
error-forbidden_contacts = 프로필 권한으로는 이 작업을 할 수 없습니다. 연락처 페이지는 방문자를 제외한 모든 프로필이 볼 수 있습니다.
error-not_found = 찾을 수 없습니다. 존재하지 않거나 더 이상 계정에 표시되지 않습니다.
error-link_expired = 이 링크는 만료되었거나 이미 사용되었습니다. 관리자에게 새 링크를 요청하십시오.
error-last_admin = 계정에는 활성 관리자가 한 명 이상 있어야 합니다.

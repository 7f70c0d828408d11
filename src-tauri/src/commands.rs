//! The commands: one per [`dinhdanh_core::app::Command`], named as the contract names it,
//! taking its argument and answering its output or an [`ApiError`]; [`crate::dispatch`] reads
//! the window's message and calls them. Each is a few lines over [`crate::shell::Shell`] and
//! the client; the reason strings are what the platform's biometric prompt shows (mobile).

use dinhdanh_core::api::{ApiError, ErrorCode, InformationAnswer};
use dinhdanh_core::app::{self, Command, Confirm};

use crate::shell::{Shell, api, shell_error};

/// [`app::Status`].
pub async fn status(
    shell: &Shell,
    args: <app::Status as Command>::Args,
) -> Result<<app::Status as Command>::Output, ApiError> {
    let () = args;
    shell.status().await
}

/// [`app::SetServer`].
pub async fn set_server(
    shell: &Shell,
    args: <app::SetServer as Command>::Args,
) -> Result<<app::SetServer as Command>::Output, ApiError> {
    shell.set_server(&args.server).await
}

/// [`app::RegisterStart`].
pub async fn register_start(
    shell: &Shell,
    args: <app::RegisterStart as Command>::Args,
) -> Result<<app::RegisterStart as Command>::Output, ApiError> {
    shell.client()?.register_start(&args).await.map_err(api)
}

/// [`app::RegisterFinish`].
pub async fn register_finish(
    shell: &Shell,
    args: <app::RegisterFinish as Command>::Args,
) -> Result<<app::RegisterFinish as Command>::Output, ApiError> {
    shell.client()?.register_finish(&args).await.map_err(api)
}

/// [`app::BindStart`].
pub async fn bind_start(
    shell: &Shell,
    args: <app::BindStart as Command>::Args,
) -> Result<<app::BindStart as Command>::Output, ApiError> {
    shell.bind_start(&args.citizen_id, args.password).await
}

/// [`app::BindFinish`].
pub async fn bind_finish(
    shell: &Shell,
    args: <app::BindFinish as Command>::Args,
) -> Result<<app::BindFinish as Command>::Output, ApiError> {
    shell
        .bind_finish(&args.code, &args.passcode, &args.passcode_again)
        .await
}

/// [`app::SignIn`].
pub async fn sign_in(
    shell: &Shell,
    args: <app::SignIn as Command>::Args,
) -> Result<<app::SignIn as Command>::Output, ApiError> {
    shell.sign_in(args.password).await
}

/// [`app::SignOut`].
pub async fn sign_out(
    shell: &Shell,
    args: <app::SignOut as Command>::Args,
) -> Result<<app::SignOut as Command>::Output, ApiError> {
    let () = args;
    shell.sign_out().await
}

/// [`app::AccountChoicesList`].
pub async fn account_choices(
    shell: &Shell,
    args: <app::AccountChoicesList as Command>::Args,
) -> Result<<app::AccountChoicesList as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.account_choices().await.map_err(api)
}

/// [`app::ConfirmIdentity`].
pub async fn confirm_identity(
    shell: &Shell,
    args: <app::ConfirmIdentity as Command>::Args,
) -> Result<<app::ConfirmIdentity as Command>::Output, ApiError> {
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(
            &client,
            args.confirm,
            "Xác nhận để đăng ký định danh tổ chức",
        )
        .await?;
    client
        .step_up(
            dinhdanh_core::api::StepUpPurpose::OpenOrganisationIdentity,
            confirmer.as_ref(),
        )
        .await
        .map_err(api)?;
    Ok(())
}

/// [`app::SwitchAccount`].
pub async fn switch_account(
    shell: &Shell,
    args: <app::SwitchAccount as Command>::Args,
) -> Result<<app::SwitchAccount as Command>::Output, ApiError> {
    if let Confirm::OnPhone = args.confirm {
        return shell.switch_account_on_phone(args.to).await;
    }
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận đổi tài khoản")
        .await?;
    client
        .switch_account(args.to, confirmer.as_ref())
        .await
        .map_err(api)?;
    shell.status().await
}

/// [`app::UploadAttachment`].
pub async fn upload_attachment(
    shell: &Shell,
    args: <app::UploadAttachment as Command>::Args,
) -> Result<<app::UploadAttachment as Command>::Output, ApiError> {
    shell
        .client()?
        .upload_attachment(args.kind, &args.content)
        .await
        .map_err(api)
}

/// [`app::SubmitRegistration`].
pub async fn submit_registration(
    shell: &Shell,
    args: <app::SubmitRegistration as Command>::Args,
) -> Result<<app::SubmitRegistration as Command>::Output, ApiError> {
    if let Confirm::OnPhone = args.confirm {
        return shell
            .submit_registration_on_phone(args.org_type, args.details)
            .await;
    }
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận gửi yêu cầu đăng ký")
        .await?;
    client
        .submit_registration(args.org_type, args.details, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::Registrations`].
pub async fn registrations(
    shell: &Shell,
    args: <app::Registrations as Command>::Args,
) -> Result<<app::Registrations as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.registrations().await.map_err(api)
}

/// [`app::Registration`].
pub async fn registration(
    shell: &Shell,
    args: <app::Registration as Command>::Args,
) -> Result<<app::Registration as Command>::Output, ApiError> {
    shell.client()?.registration(&args.id).await.map_err(api)
}

/// [`app::AnswerInformation`].
pub async fn answer_information(
    shell: &Shell,
    args: <app::AnswerInformation as Command>::Args,
) -> Result<<app::AnswerInformation as Command>::Output, ApiError> {
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận gửi bổ sung thông tin")
        .await?;
    let answer = InformationAnswer {
        registration: args.id,
        answer: args.answer,
        corrected_details: None,
        attachments: Vec::new(),
    };
    client
        .answer_information(answer, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::AnswerConsent`].
pub async fn answer_consent(
    shell: &Shell,
    args: <app::AnswerConsent as Command>::Args,
) -> Result<<app::AnswerConsent as Command>::Output, ApiError> {
    let client = shell.client()?;
    let reason = if args.consent {
        "Xác nhận đồng ý đăng ký tổ chức"
    } else {
        "Xác nhận từ chối đăng ký tổ chức"
    };
    let confirmer = shell.confirmer(&client, args.confirm, reason).await?;
    client
        .answer_consent(&args.shown, args.consent, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::WithdrawRegistration`].
pub async fn withdraw_registration(
    shell: &Shell,
    args: <app::WithdrawRegistration as Command>::Args,
) -> Result<<app::WithdrawRegistration as Command>::Output, ApiError> {
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận rút yêu cầu đăng ký")
        .await?;
    client
        .withdraw_registration(&args.id, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::Notifications`].
pub async fn notifications(
    shell: &Shell,
    args: <app::Notifications as Command>::Args,
) -> Result<<app::Notifications as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.notifications().await.map_err(api)
}

/// [`app::Organisation`].
pub async fn organisation(
    shell: &Shell,
    args: <app::Organisation as Command>::Args,
) -> Result<<app::Organisation as Command>::Output, ApiError> {
    shell.client()?.organisation(&args.eid).await.map_err(api)
}

/// [`app::Delegations`].
pub async fn delegations(
    shell: &Shell,
    args: <app::Delegations as Command>::Args,
) -> Result<<app::Delegations as Command>::Output, ApiError> {
    shell.client()?.delegations(&args.eid).await.map_err(api)
}

/// [`app::AddDelegateCmd`].
pub async fn add_delegate(
    shell: &Shell,
    args: <app::AddDelegateCmd as Command>::Args,
) -> Result<<app::AddDelegateCmd as Command>::Output, ApiError> {
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận thêm người được ủy quyền")
        .await?;
    client
        .add_delegate(args.delegate, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::RevokeDelegateCmd`].
pub async fn revoke_delegate(
    shell: &Shell,
    args: <app::RevokeDelegateCmd as Command>::Args,
) -> Result<<app::RevokeDelegateCmd as Command>::Output, ApiError> {
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận thu hồi ủy quyền")
        .await?;
    let (eid, id) = (
        args.revoke.organisation.clone(),
        args.revoke.delegation.clone(),
    );
    client
        .revoke_delegate(args.revoke, confirmer.as_ref())
        .await
        .map_err(api)?;
    // The server answers "done"; the UI gets the delegation as it now stands (revoked).
    client
        .delegations(&eid)
        .await
        .map_err(api)?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| api(ApiError::new(ErrorCode::NotFound).into()))
}

/// [`app::AnswerDelegation`].
pub async fn answer_delegation(
    shell: &Shell,
    args: <app::AnswerDelegation as Command>::Args,
) -> Result<<app::AnswerDelegation as Command>::Output, ApiError> {
    let client = shell.client()?;
    let reason = if args.answer.accept {
        "Xác nhận nhận ủy quyền"
    } else {
        "Xác nhận từ chối ủy quyền"
    };
    let confirmer = shell.confirmer(&client, args.confirm, reason).await?;
    client
        .answer_delegation(args.answer, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::Services`].
pub async fn services(
    shell: &Shell,
    args: <app::Services as Command>::Args,
) -> Result<<app::Services as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.services().await.map_err(api)
}

/// [`app::SetDelegationServicesCmd`].
pub async fn set_delegation_services(
    shell: &Shell,
    args: <app::SetDelegationServicesCmd as Command>::Args,
) -> Result<<app::SetDelegationServicesCmd as Command>::Output, ApiError> {
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(
            &client,
            args.confirm,
            "Xác nhận các dịch vụ được phép cho ủy quyền",
        )
        .await?;
    client
        .set_delegation_services(args.services, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::ServiceConsents`].
pub async fn service_consents(
    shell: &Shell,
    args: <app::ServiceConsents as Command>::Args,
) -> Result<<app::ServiceConsents as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.service_consents().await.map_err(api)
}

/// [`app::WithdrawServiceConsent`].
pub async fn withdraw_service_consent(
    shell: &Shell,
    args: <app::WithdrawServiceConsent as Command>::Args,
) -> Result<<app::WithdrawServiceConsent as Command>::Output, ApiError> {
    shell
        .client()?
        .withdraw_service_consent(&args.client_id)
        .await
        .map_err(api)
}

/// [`app::Sessions`].
pub async fn sessions(
    shell: &Shell,
    args: <app::Sessions as Command>::Args,
) -> Result<<app::Sessions as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.sessions().await.map_err(api)
}

/// [`app::EndSession`].
pub async fn end_session(
    shell: &Shell,
    args: <app::EndSession as Command>::Args,
) -> Result<<app::EndSession as Command>::Output, ApiError> {
    let client = shell.client()?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận đăng xuất phiên")
        .await?;
    client
        .end_session(&args.session, confirmer.as_ref())
        .await
        .map_err(api)?;
    client.sessions().await.map_err(api)
}

/// [`app::QrLoginStart`].
pub async fn qr_login_start(
    shell: &Shell,
    args: <app::QrLoginStart as Command>::Args,
) -> Result<<app::QrLoginStart as Command>::Output, ApiError> {
    let () = args;
    shell.qr_login_start().await
}

/// [`app::QrLoginWait`].
pub async fn qr_login_wait(
    shell: &Shell,
    args: <app::QrLoginWait as Command>::Args,
) -> Result<<app::QrLoginWait as Command>::Output, ApiError> {
    let () = args;
    shell.qr_login_wait().await
}

/// [`app::QrScan`].
pub async fn qr_scan(
    shell: &Shell,
    args: <app::QrScan as Command>::Args,
) -> Result<<app::QrScan as Command>::Output, ApiError> {
    shell.qr_scan(args).await
}

/// [`app::AppLinkTake`].
pub async fn app_link_take(
    shell: &Shell,
    args: <app::AppLinkTake as Command>::Args,
) -> Result<<app::AppLinkTake as Command>::Output, ApiError> {
    let () = args;
    shell.app_link_take().await
}

/// [`app::QrApprove`].
pub async fn qr_approve(
    shell: &Shell,
    args: <app::QrApprove as Command>::Args,
) -> Result<<app::QrApprove as Command>::Output, ApiError> {
    let client = shell.client()?;
    let payload = shell.qr_payload(&args.payload)?;
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận đăng nhập trên máy tính")
        .await?;
    client
        .approve_qr_login(&payload, args.account, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::QrDecline`].
pub async fn qr_decline(
    shell: &Shell,
    args: <app::QrDecline as Command>::Args,
) -> Result<<app::QrDecline as Command>::Output, ApiError> {
    let client = shell.client()?;
    let payload = shell.qr_payload(&args.payload)?;
    client.decline_qr_login(&payload).await.map_err(api)
}

/// [`app::ServiceSignInApprove`]: signs what the screen showed, once the code passed back
/// reads again and names the same sign-in (the server refuses a body that differs from its
/// own view).
pub async fn service_sign_in_approve(
    shell: &Shell,
    args: <app::ServiceSignInApprove as Command>::Args,
) -> Result<<app::ServiceSignInApprove as Command>::Output, ApiError> {
    let client = shell.client()?;
    let payload = shell.service_sign_in_payload(&args.payload)?;
    if payload.sign_in() != &args.sign_in.sign_in {
        return Err(shell_error(
            "service_sign_in_mismatch",
            "Thông tin đăng nhập không khớp với mã QR đã quét; vui lòng quét lại.",
            "The sign-in shown does not match the scanned QR code; please scan again.",
        ));
    }
    let confirmer = shell
        .confirmer(&client, args.confirm, "Xác nhận đăng nhập vào dịch vụ")
        .await?;
    client
        .approve_service_sign_in(&args.sign_in, args.account, confirmer.as_ref())
        .await
        .map_err(api)
}

/// [`app::ServiceSignInDecline`].
pub async fn service_sign_in_decline(
    shell: &Shell,
    args: <app::ServiceSignInDecline as Command>::Args,
) -> Result<<app::ServiceSignInDecline as Command>::Output, ApiError> {
    let client = shell.client()?;
    let payload = shell.service_sign_in_payload(&args.payload)?;
    client
        .decline_service_sign_in(payload.sign_in())
        .await
        .map_err(api)
}

/// [`app::SaveDraft`].
pub async fn save_draft(
    shell: &Shell,
    args: <app::SaveDraft as Command>::Args,
) -> Result<<app::SaveDraft as Command>::Output, ApiError> {
    shell.save_draft(&args.key, &args.json)
}

/// [`app::LoadDraft`].
pub async fn load_draft(
    shell: &Shell,
    args: <app::LoadDraft as Command>::Args,
) -> Result<<app::LoadDraft as Command>::Output, ApiError> {
    shell.load_draft(&args.key)
}

/// [`app::PendingDesktopActions`].
pub async fn pending_desktop_actions(
    shell: &Shell,
    args: <app::PendingDesktopActions as Command>::Args,
) -> Result<<app::PendingDesktopActions as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.pending_desktop_actions().await.map_err(api)
}

/// [`app::ConfirmDesktopAction`].
pub async fn confirm_desktop_action(
    shell: &Shell,
    args: <app::ConfirmDesktopAction as Command>::Args,
) -> Result<<app::ConfirmDesktopAction as Command>::Output, ApiError> {
    shell.confirm_desktop_action(&args.id, args.confirm).await
}

/// [`app::DeclineDesktopAction`].
pub async fn decline_desktop_action(
    shell: &Shell,
    args: <app::DeclineDesktopAction as Command>::Args,
) -> Result<<app::DeclineDesktopAction as Command>::Output, ApiError> {
    shell
        .client()?
        .decline_desktop_action(&args.id)
        .await
        .map_err(api)
}

/// [`app::CancelOnPhone`].
pub async fn cancel_on_phone(
    shell: &Shell,
    args: <app::CancelOnPhone as Command>::Args,
) -> Result<<app::CancelOnPhone as Command>::Output, ApiError> {
    let () = args;
    shell.cancel_on_phone().await
}

/// [`app::PasscodeResetStart`].
pub async fn passcode_reset_start(
    shell: &Shell,
    args: <app::PasscodeResetStart as Command>::Args,
) -> Result<<app::PasscodeResetStart as Command>::Output, ApiError> {
    shell.passcode_reset_start(args.password).await
}

/// [`app::PasscodeResetFinish`].
pub async fn passcode_reset_finish(
    shell: &Shell,
    args: <app::PasscodeResetFinish as Command>::Args,
) -> Result<<app::PasscodeResetFinish as Command>::Output, ApiError> {
    shell
        .passcode_reset_finish(&args.code, &args.passcode, &args.passcode_again)
        .await
}

/// [`app::SelfLockStart`].
pub async fn self_lock_start(
    shell: &Shell,
    args: <app::SelfLockStart as Command>::Args,
) -> Result<<app::SelfLockStart as Command>::Output, ApiError> {
    shell.self_lock_start(&args.citizen_id, args.password).await
}

/// [`app::SelfLockFinish`].
pub async fn self_lock_finish(
    shell: &Shell,
    args: <app::SelfLockFinish as Command>::Args,
) -> Result<<app::SelfLockFinish as Command>::Output, ApiError> {
    shell.self_lock_finish(&args.code).await
}

/// [`app::MyData`].
pub async fn my_data(
    shell: &Shell,
    args: <app::MyData as Command>::Args,
) -> Result<<app::MyData as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.my_data().await.map_err(api)
}

/// [`app::MyActivity`].
pub async fn my_activity(
    shell: &Shell,
    args: <app::MyActivity as Command>::Args,
) -> Result<<app::MyActivity as Command>::Output, ApiError> {
    let () = args;
    shell.client()?.my_audit().await.map_err(api)
}

/// [`app::OrganisationActivity`].
pub async fn organisation_activity(
    shell: &Shell,
    args: <app::OrganisationActivity as Command>::Args,
) -> Result<<app::OrganisationActivity as Command>::Output, ApiError> {
    shell
        .client()?
        .organisation_activity(&args.eid)
        .await
        .map_err(api)
}

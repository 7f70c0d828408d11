//! Registration requests (Decree 69/2024, Art. 12): uploading the documents, submitting the
//! request, following it and answering an officer's request for information.

use dinhdanh_core::api::{
    AttachmentView, ConsentDecision, InformationAnswer, MediaType, RegistrationEventKind,
    RegistrationStatus, RegistrationSubmission, RegistrationView, RegistrationWithdrawal, paths,
};
use dinhdanh_core::ids::AccountId;
use dinhdanh_core::ids::RegistrationId;
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationDetails};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use reqwest::Method;

use super::{Auth, Client, Payload, read_answer};
use crate::error::ClientError;
use crate::passcode::Confirmer;

impl Client {
    /// Uploads one document (PDF, JPEG or PNG, at most [`MediaType::MAX_SIZE`]) as the raw
    /// request body; the server recognises the type from the bytes, and the proof covers them.
    /// Refused here already when it is too large or of another type, so nothing is sent in vain.
    pub async fn upload_attachment(
        &self,
        kind: DocumentKind,
        content: &[u8],
    ) -> Result<AttachmentView, ClientError> {
        let media = MediaType::sniff(content).ok_or_else(|| ClientError::Protocol {
            code: "attachment_type".into(),
            message_vi: "Chỉ nhận tệp PDF, JPEG hoặc PNG.".into(),
            message_en: "Only PDF, JPEG or PNG files are accepted.".into(),
        })?;
        if u64::try_from(content.len()).unwrap_or(u64::MAX) > MediaType::MAX_SIZE {
            return Err(ClientError::Protocol {
                code: "attachment_too_large".into(),
                message_vi: "Tệp lớn hơn 10 MiB.".into(),
                message_en: "The file is larger than 10 MiB.".into(),
            });
        }
        let path = format!("{}?kind={}", paths::ATTACHMENTS, document_kind_name(kind)?);
        let body = Payload {
            bytes: content,
            content_type: media.mime(),
        };
        let answer = self
            .exchange(Method::POST, &path, Some(body), Auth::Session)
            .await?;
        read_answer(&answer)
    }

    /// Submits a registration request, confirmed (`register_organisation`, target
    /// `registration:new`). The requester is this profile's person; the capacity (legal
    /// representative or authorised person) follows from the details, as on the server.
    pub async fn submit_registration(
        &self,
        org_type: OrgType,
        details: OrganisationDetails,
        confirmer: &dyn Confirmer,
    ) -> Result<RegistrationView, ClientError> {
        let requester = self
            .lock_state()
            .citizen_id
            .clone()
            .ok_or(ClientError::DeviceNotBound)?;
        self.confirmed(
            Method::POST,
            paths::REGISTRATIONS,
            ActionKind::RegisterOrganisation,
            ActionTarget::new("registration", "new")?,
            RegistrationSubmission::new(org_type, details, &requester),
            confirmer,
        )
        .await
    }

    /// The person's registration requests (made, or waiting for their consent), newest first.
    pub async fn registrations(&self) -> Result<Vec<RegistrationView>, ClientError> {
        self.call::<(), _>(Method::GET, paths::REGISTRATIONS, None, Auth::Session)
            .await
    }

    /// One registration request.
    pub async fn registration(&self, id: &RegistrationId) -> Result<RegistrationView, ClientError> {
        self.call::<(), _>(
            Method::GET,
            &paths::fill(paths::REGISTRATION, "id", id.as_str()),
            None,
            Auth::Session,
        )
        .await
    }

    /// Answers an officer's request for information, confirmed (`answer_information_request`,
    /// target `registration:<id>`).
    pub async fn answer_information(
        &self,
        answer: InformationAnswer,
        confirmer: &dyn Confirmer,
    ) -> Result<RegistrationView, ClientError> {
        let id = answer.registration.clone();
        self.confirmed(
            Method::POST,
            &paths::fill(paths::REGISTRATION_ANSWER, "id", id.as_str()),
            ActionKind::AnswerInformationRequest,
            ActionTarget::new("registration", id.as_str())?,
            answer,
            confirmer,
        )
        .await
    }
}

impl Client {
    /// A co-representative consents to (`consent`) or refuses a request filed in their name,
    /// confirmed (`consent_to_registration` / `refuse_registration`, target
    /// `registration:<id>`). What is signed names the request *as shown* (`shown`, by its
    /// [`RegistrationView::consent_digest`]), so the server refuses the answer (`conflict`)
    /// should the request it holds say anything else.
    ///
    /// When the connection breaks on the way, the server is asked for the request: the request
    /// as it stands when the answer arrived, [`ClientError::ActionNotDone`] when it did not,
    /// [`ClientError::ActionOutcomeUnknown`] when the server cannot be asked either.
    pub async fn answer_consent(
        &self,
        shown: &RegistrationView,
        consent: bool,
        confirmer: &dyn Confirmer,
    ) -> Result<RegistrationView, ClientError> {
        let id = shown.id.clone();
        let body = ConsentDecision {
            registration: id.clone(),
            consent,
            request_digest: shown.consent_digest()?,
        };
        let kind = if consent {
            ActionKind::ConsentToRegistration
        } else {
            ActionKind::RefuseRegistration
        };
        let sent = self
            .confirmed(
                Method::POST,
                &paths::fill(paths::REGISTRATION_CONSENT, "id", id.as_str()),
                kind,
                ActionTarget::new("registration", id.as_str())?,
                body,
                confirmer,
            )
            .await;
        self.settle(sent, &id, answered_by).await
    }

    /// The requester withdraws their own request that is not decided yet, confirmed
    /// (`withdraw_registration`, target `registration:<id>`). A broken connection is answered
    /// as [`Client::answer_consent`] answers it.
    pub async fn withdraw_registration(
        &self,
        id: &RegistrationId,
        confirmer: &dyn Confirmer,
    ) -> Result<RegistrationView, ClientError> {
        let sent = self
            .confirmed(
                Method::POST,
                &paths::fill(paths::REGISTRATION_WITHDRAWAL, "id", id.as_str()),
                ActionKind::WithdrawRegistration,
                ActionTarget::new("registration", id.as_str())?,
                RegistrationWithdrawal {
                    registration: id.clone(),
                },
                confirmer,
            )
            .await;
        self.settle(sent, id, withdrawn_by).await
    }

    /// What a confirmed action on a request came to. Passed through unless the connection
    /// broke (`Network`, `Timeout`): then the request is read back and `done` says from it
    /// whether this person's action is in it, instead of guessing. Done: the request as it
    /// now stands. Not done: [`ClientError::ActionNotDone`] (a late arrival is harmless: the
    /// single-use challenge and the request's status refuse a second answer). Not readable:
    /// [`ClientError::ActionOutcomeUnknown`].
    async fn settle(
        &self,
        sent: Result<RegistrationView, ClientError>,
        id: &RegistrationId,
        done: impl Fn(&RegistrationView, &AccountId) -> bool,
    ) -> Result<RegistrationView, ClientError> {
        match sent {
            Err(ClientError::Network { .. } | ClientError::Timeout) => {
                let me = self
                    .lock_state()
                    .account
                    .clone()
                    .ok_or(ClientError::NotSignedIn)?;
                match self.registration(id).await {
                    Ok(view) if done(&view, &me) => Ok(view),
                    Ok(_) => Err(ClientError::ActionNotDone),
                    Err(_) => Err(ClientError::ActionOutcomeUnknown),
                }
            }
            other => other,
        }
    }
}

/// Whether `me` has answered `view` (consented or refused): their line in its history.
fn answered_by(view: &RegistrationView, me: &AccountId) -> bool {
    view.history.iter().any(|e| {
        matches!(
            e.kind,
            RegistrationEventKind::Consented | RegistrationEventKind::Refused
        ) && e.actor.as_ref().is_some_and(|a| a.account == *me)
    })
}

/// Whether `me` withdrew `view`.
fn withdrawn_by(view: &RegistrationView, me: &AccountId) -> bool {
    view.status == RegistrationStatus::Withdrawn
        && view.history.iter().any(|e| {
            e.kind == RegistrationEventKind::Withdrawn
                && e.actor.as_ref().is_some_and(|a| a.account == *me)
        })
}

/// The document kind as the query parameter names it: its serde name (`founding_decision`).
fn document_kind_name(kind: DocumentKind) -> Result<String, ClientError> {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        _ => Err(ClientError::Protocol {
            code: "malformed_request".into(),
            message_vi: "Không tạo được yêu cầu.".into(),
            message_en: "The document kind could not be encoded.".into(),
        }),
    }
}

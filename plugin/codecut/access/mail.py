"""Sending the portal's sign-in mail over SMTP (``CODECUT_MAIL_*``).

Without ``CODECUT_MAIL_SERVER`` nothing is sent: the link is written to the ``codecut`` log at
WARNING, which is how the demo and a development setup sign in.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from ..config import Settings

log = logging.getLogger("codecut")

_TIMEOUT_SECONDS = 15


class MailError(RuntimeError):
    """The SMTP server refused the message or could not be reached."""


def _message(settings: Settings, *, to: str, name: str, subject: str, body: str) -> EmailMessage:
    """One mail from Codecut to one influencer."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_sender
    message["To"] = formataddr((name, to))
    message["Message-ID"] = make_msgid(domain="codecut")
    message.set_content(body)
    return message


def login_message(settings: Settings, *, to: str, name: str, link: str) -> EmailMessage:
    minutes = max(1, settings.login_token_max_age // 60)
    return _message(
        settings,
        to=to,
        name=name,
        subject="Your sign-in link for your earnings",
        body=(
            f"Hello {name},\n\n"
            f"Open this link to see your earnings:\n\n{link}\n\n"
            f"It works once, within {minutes} minutes. If you did not ask for it, ignore this "
            "mail:\nnobody can sign in without the link.\n"
        ),
    )


def new_code_message(
    settings: Settings, *, to: str, name: str, old_code: str, new_code: str, link: str
) -> EmailMessage:
    return _message(
        settings,
        to=to,
        name=name,
        subject=f"Your new code: {new_code}",
        body=(
            f"Hello {name},\n\n"
            f"Your code {old_code} was shared beyond your audience, so it has been replaced.\n"
            f"Your new code is {new_code}; your share link is:\n\n{link}\n\n"
            "Please use them from now on.\n"
        ),
    )


def send_new_code(
    settings: Settings, *, to: str, name: str, old_code: str, new_code: str, link: str
) -> None:
    """Mail an influencer their replacement code, or log it when no mail server is configured."""
    if not settings.mail_server:
        log.warning("new code %s for %s (no CODECUT_MAIL_SERVER set): %s", new_code, to, link)
        return
    _send(
        settings,
        new_code_message(
            settings, to=to, name=name, old_code=old_code, new_code=new_code, link=link
        ),
        "new-code",
    )


def console_login_message(settings: Settings, *, to: str, link: str) -> EmailMessage:
    minutes = max(1, settings.login_token_max_age // 60)
    return _message(
        settings,
        to=to,
        name=to,
        subject="Your sign-in link for the Codecut console",
        body=(
            f"Hello,\n\nOpen this link to sign in to the console:\n\n{link}\n\n"
            f"It works once, within {minutes} minutes. If you did not ask for it, ignore this "
            "mail.\n"
        ),
    )


def send_console_link(settings: Settings, *, to: str, link: str) -> None:
    """Mail a console sign-in link, or log it when no mail server is configured (development)."""
    if not settings.mail_server:
        log.warning("console sign-in link for %s (no CODECUT_MAIL_SERVER set): %s", to, link)
        return
    _send(settings, console_login_message(settings, to=to, link=link), "console sign-in")


def payout_setup_message(settings: Settings, *, to: str, name: str, link: str) -> EmailMessage:
    return _message(
        settings,
        to=to,
        name=name,
        subject="Set up your payouts",
        body=(
            f"Hello {name},\n\n"
            "To be paid straight into your bank account, set up payouts with Stripe, our\n"
            f"payment provider:\n\n{link}\n\n"
            "The link works for a week and takes you to Stripe's secure form.\n"
        ),
    )


def send_payout_setup(settings: Settings, *, to: str, name: str, link: str) -> None:
    """Mail an influencer their payout set-up link, or log it when no mail server is set."""
    if not settings.mail_server:
        log.warning("payout set-up link for %s (no CODECUT_MAIL_SERVER set): %s", to, link)
        return
    _send(settings, payout_setup_message(settings, to=to, name=name, link=link), "payout set-up")


def _send(settings: Settings, message: EmailMessage, what: str) -> None:
    assert settings.mail_server
    try:
        with smtplib.SMTP(
            settings.mail_server, settings.mail_port, timeout=_TIMEOUT_SECONDS
        ) as smtp:
            if settings.mail_use_tls:
                smtp.starttls()
            if settings.mail_username:
                smtp.login(settings.mail_username, settings.mail_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(
            f"could not send the {what} mail via {settings.mail_server}: {error}"
        ) from error


def send_login_link(settings: Settings, *, to: str, name: str, link: str) -> None:
    """Mail ``link`` to ``to``, or log it when no mail server is configured."""
    if not settings.mail_server:
        log.warning("portal sign-in link for %s (no CODECUT_MAIL_SERVER set): %s", to, link)
        return
    _send(settings, login_message(settings, to=to, name=name, link=link), "sign-in")

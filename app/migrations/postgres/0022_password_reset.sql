-- Password reset links go in email_links beside sign-up and email-change links: single-use,
-- stored as a hash, and for one account.
ALTER TABLE email_links DROP CONSTRAINT email_links_purpose_check;
ALTER TABLE email_links ADD CONSTRAINT email_links_purpose_check
    CHECK (purpose IN ('signup', 'email_change', 'password_reset'));
CREATE INDEX email_links_user ON email_links (user_id);

-- 0007_desk: what the official on duty writes at the desk while talking.
--
-- The request is registered when the conversation ends, so the official usually writes
-- before it exists.  desk_notes holds the note per call (the single place the desk
-- writes); the request carries a copy in its own columns so that everyone reading
-- requests (agency staff, reports) needs no join.  Both orders work:
--   note first:    the BEFORE INSERT trigger copies the note into the new request;
--   request first: the desk's save updates the request in the same transaction.
-- Both paths lock the call row (as RequestRepository.register does), so they serialise.

CREATE TABLE desk_notes (
    call_id     bigint PRIMARY KEY REFERENCES calls (id),
    summary     text NULL CHECK (char_length(summary) <= 4000),
    topic       text NULL CHECK (topic IN ('employment', 'housing', 'bank_loans', 'industry',
                                          'agriculture', 'family', 'preschool_teachers', 'other')),
    agency_id   int NULL REFERENCES agencies (id),
    -- The official decided this call carries no request: intake must not register one.
    no_request  boolean NOT NULL DEFAULT false,
    official_id int NULL REFERENCES officials (id),
    user_id     int NULL REFERENCES users (id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE requests
    ADD COLUMN summary text NULL CHECK (char_length(summary) <= 4000),
    ADD COLUMN topic   text NULL CHECK (topic IN ('employment', 'housing', 'bank_loans',
        'industry', 'agriculture', 'family', 'preschool_teachers', 'other'));

CREATE FUNCTION requests_take_desk_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    note desk_notes%ROWTYPE;
BEGIN
    SELECT * INTO note FROM desk_notes WHERE call_id = NEW.call_id;
    IF FOUND THEN
        NEW.summary   := COALESCE(NEW.summary, note.summary);
        NEW.topic     := COALESCE(NEW.topic, note.topic);
        -- The agency the official chose at the desk wins over the official's own agency.
        NEW.agency_id := COALESCE(note.agency_id, NEW.agency_id);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER requests_desk_note BEFORE INSERT ON requests
    FOR EACH ROW EXECUTE FUNCTION requests_take_desk_note();

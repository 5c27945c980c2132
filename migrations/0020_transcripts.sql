-- 0020_transcripts: transcription queue, transcripts per speaker with word timings,
-- a Persian full-text index over them, a keyword lexicon per topic and topic suggestions.

-- One job per finished recording.  Workers claim due rows with FOR UPDATE SKIP LOCKED and
-- hold them under a lease; a worker that dies leaves a 'working' row whose lease expires
-- and which the next claim takes again.  Nothing is deleted: 'failed' keeps its reason.
CREATE TABLE transcription_jobs (
    recording_id       bigint PRIMARY KEY REFERENCES recordings (id),
    state              text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'working', 'done', 'failed')),
    attempts           int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    lease_until        timestamptz NULL,
    worker             text NULL,
    last_error         text NULL,
    enqueued_at        timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz NULL,
    finished_at        timestamptz NULL,
    audio_seconds      double precision NULL CHECK (audio_seconds >= 0),
    processing_seconds double precision NULL CHECK (processing_seconds >= 0),
    model              text NULL
);
CREATE INDEX transcription_jobs_due_idx ON transcription_jobs (next_attempt_at)
    WHERE state IN ('queued', 'working');
CREATE INDEX transcription_jobs_finished_idx ON transcription_jobs (finished_at)
    WHERE state = 'done';

-- A recording becomes eligible when the finaliser has hashed and measured it.
CREATE FUNCTION recordings_enqueue_transcription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO transcription_jobs (recording_id) VALUES (NEW.id)
        ON CONFLICT (recording_id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER recordings_transcription AFTER INSERT OR UPDATE OF finished_at ON recordings
    FOR EACH ROW WHEN (NEW.finished_at IS NOT NULL)
    EXECUTE FUNCTION recordings_enqueue_transcription();

-- Recordings finished before this migration are queued too.
INSERT INTO transcription_jobs (recording_id, enqueued_at)
SELECT id, finished_at FROM recordings WHERE finished_at IS NOT NULL
ON CONFLICT (recording_id) DO NOTHING;

-- One row per speaker: channel 0 of a call recording is the caller, channel 1 what the
-- caller heard (the hotline); a message is the caller alone; an old mono call is 'mixed'.
-- words: [[word, start_seconds, end_seconds, confidence], ...] in spoken order.
-- normalised: the text folded by samad_ivr.domain.persian_text (same word count as words).
CREATE TABLE transcripts (
    recording_id bigint NOT NULL REFERENCES recordings (id),
    speaker      text NOT NULL CHECK (speaker IN ('caller', 'hotline', 'mixed')),
    text         text NOT NULL,
    normalised   text NOT NULL,
    words        jsonb NOT NULL CHECK (jsonb_typeof(words) = 'array'),
    search       tsvector GENERATED ALWAYS AS (to_tsvector('simple', normalised)) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recording_id, speaker)
);
CREATE INDEX transcripts_search_idx ON transcripts USING gin (search);

-- The lexicon: phrases whose use on the caller's side points to a topic.
CREATE TABLE topic_keywords (
    center_id  int NOT NULL,
    topic      text NOT NULL,
    phrase     text NOT NULL CHECK (char_length(phrase) BETWEEN 1 AND 200),
    normalised text NOT NULL CHECK (normalised <> ''),
    weight     int NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 10),
    PRIMARY KEY (center_id, topic, normalised),
    FOREIGN KEY (center_id, topic) REFERENCES topics (center_id, code)
);

-- The suggestion for a call's request.  It is advice only: requests.topic is written
-- by people (desk, admin, inspector), never from here.
CREATE TABLE topic_suggestions (
    call_id      bigint PRIMARY KEY REFERENCES calls (id),
    center_id    int NOT NULL,
    topic        text NOT NULL,
    score        int NOT NULL CHECK (score > 0),
    matched      text[] NOT NULL,
    suggested_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (center_id, topic) REFERENCES topics (center_id, code)
);

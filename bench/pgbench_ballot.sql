-- The ceiling of the ballot rush: what one online ballot does in PostgreSQL, with nothing of
-- Python, Django or HTTP around it. bench/rush.py runs it with
--   pgbench -n -f bench/pgbench_ballot.sql -c 8 -j 2 -T 15 -D eid=… -D uid=… -D cid=…
-- against the bench database, on a scratch election whose voters are `p1`, `p2`, … (made by
-- rush.py with the sequence bench_ceiling_seq), and removes the scratch rows afterwards.
--
-- Statement for statement it is what elections.voting.ballot_cast_online and
-- elections.services.ballot_record send on the write path (the reads before it, the token,
-- the scoping and the right to cast, are left out):
--   the voter looked up, then in one transaction: the voter row locked FOR NO KEY UPDATE, the
--   check for an earlier valid ballot, the election row locked FOR UPDATE (the hash chain's
--   head and count), the ballot inserted into the real table (same indexes, the partial unique
--   index "one valid ballot per voter", deferred foreign keys), the election's head and count
--   updated, the audit row inserted, commit.
SELECT id AS vid FROM elections_voter WHERE election_id = :eid AND key = (SELECT 'p' || nextval('bench_ceiling_seq')) \gset
BEGIN;
SELECT id FROM elections_voter WHERE id = :vid FOR NO KEY UPDATE;
SELECT id, cast_at, channel, cast_as FROM elections_ballot WHERE voter_id = :vid AND status = 'valid' LIMIT 1;
SELECT chain_head, ballot_count FROM elections_election WHERE id = :eid FOR UPDATE;
INSERT INTO elections_ballot (election_id, voter_id, channel, status, reject_reason, choices, cast_at, cast_by_id, cast_as, proxy_id, paper_serial, receipt, seq, prev_hash, hash)
SELECT e.id, :vid, 'online', 'valid', '',
       '{"matters": {"M1": "yes", "M2": "no", "M3": "abstain"}, "races": {"R1": ["C1", "C2", "C4", "C5", "C7", "C8", "C9"]}}'::jsonb,
       now(), :uid, 'owner', NULL, '', upper(substr(md5(random()::text), 1, 10)), e.ballot_count + 1,
       coalesce(nullif(e.chain_head, ''), repeat('0', 64)),
       encode(sha256(convert_to(coalesce(e.chain_head, '') || (e.ballot_count + 1)::text, 'UTF8')), 'hex')
FROM elections_election e WHERE e.id = :eid;
UPDATE elections_election SET chain_head = b.hash, ballot_count = elections_election.ballot_count + 1
FROM elections_ballot b
WHERE elections_election.id = :eid AND b.election_id = :eid AND b.voter_id = :vid AND b.status = 'valid';
INSERT INTO audit_auditentry (at, actor_id, actor_label, ip, action, object_type, object_id, compound_id, election_id, summary, data)
VALUES (now(), :uid, '业主', '127.0.0.1', 'bench.ceiling', 'elections.ballot', (:vid)::text, :cid, :eid,
        'online ballot valid for voter #' || :vid || ' as owner',
        ('{"voter": ' || :vid || ', "channel": "online", "cast_as": "owner", "reason": ""}')::jsonb);
COMMIT;

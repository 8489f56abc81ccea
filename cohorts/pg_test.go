package cohorts

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgServer is a private PostgreSQL cluster on loopback in a temp dir,
// started for the side-by-side benchmark and stopped after it.
type pgServer struct {
	bin, dir, data, sock string
	port                 int
	asPostgres           bool
	tb                   testing.TB
}

func pgBinDir() string {
	for _, v := range []string{"15", "16", "17", "14"} {
		d := "/usr/lib/postgresql/" + v + "/bin"
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func (pg *pgServer) cmd(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(pg.bin, name)
	if pg.asPostgres {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func startPostgres(tb testing.TB) *pgServer {
	tb.Helper()
	bin := pgBinDir()
	if bin == "" {
		tb.Skip("PostgreSQL not installed (apt-get install -y postgresql)")
	}
	pg := &pgServer{bin: bin, tb: tb, asPostgres: os.Geteuid() == 0}
	if pg.asPostgres {
		if _, err := exec.LookPath("runuser"); err != nil {
			tb.Skip("running as root without runuser; cannot start postgres as the postgres user")
		}
	}
	dir, err := os.MkdirTemp("", "cohorts-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	pg.dir, pg.data, pg.sock = dir, filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	for _, d := range []string{pg.data, pg.sock} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	if pg.asPostgres {
		if out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput(); err != nil {
			tb.Skipf("chown for postgres: %v %s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	pg.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if out, err := pg.cmd("initdb", "-D", pg.data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		tb.Skipf("initdb failed: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off "+
		"-c shared_buffers=512MB -c work_mem=128MB -c maintenance_work_mem=512MB -c max_parallel_workers_per_gather=2 -c jit=off", pg.port, pg.sock)
	if out, err := pg.cmd("pg_ctl", "-D", pg.data, "-o", opts, "-l", filepath.Join(pg.dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		tb.Skipf("pg_ctl start failed: %v\n%s", err, out)
	}
	return pg
}

func (pg *pgServer) stop() {
	pg.cmd("pg_ctl", "-D", pg.data, "-m", "fast", "-w", "stop").Run()
	os.RemoveAll(pg.dir)
}

// psql runs a script file and returns its output.
func (pg *pgServer) psql(script string) (string, error) {
	f := filepath.Join(pg.dir, fmt.Sprintf("script-%d.sql", time.Now().UnixNano()))
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		return "", err
	}
	c := pg.cmd("psql", "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-h", pg.sock, "-p", strconv.Itoa(pg.port), "-U", "postgres", "-d", "postgres", "-f", f)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("psql: %v: %s", err, errb.String())
	}
	return out.String(), nil
}

// load writes the fixture's patients (regenerated from the same seed) as
// CSV, copies them into tables and builds the indexes a DBA would add.
func (pg *pgServer) load(f *benchFixture) error {
	g := newGenerator(42, f.s.indexDate())
	files := map[string]*bufio.Writer{}
	var closers []*os.File
	open := func(name string) *bufio.Writer {
		if w, ok := files[name]; ok {
			return w
		}
		fh, err := os.Create(filepath.Join(pg.dir, name+".csv"))
		if err != nil {
			pg.tb.Fatal(err)
		}
		os.Chmod(fh.Name(), 0o644)
		closers = append(closers, fh)
		w := bufio.NewWriterSize(fh, 1<<20)
		files[name] = w
		return w
	}
	pat, cond, med, lab, pgx, vr := open("patients"), open("conditions"), open("medications"), open("labs"), open("pgx"), open("variants")
	for i := 0; i < f.n; i++ {
		p := g.patient(i)
		if err := p.normalize(); err != nil {
			return err
		}
		fmt.Fprintf(pat, "%d,%s,%s,%s,%s\n", i, p.ID, p.Sex, normRace(p.Race), p.BirthDate)
		for _, c := range p.Conditions {
			fmt.Fprintf(cond, "%d,%s,%s,%s\n", i, c.System, c.Code, nullDate(c.Date))
		}
		for _, c := range p.Medications {
			fmt.Fprintf(med, "%d,%s,%s,%s\n", i, c.System, c.Code, nullDate(c.Date))
		}
		for k, l := range p.Labs {
			col, v := labColumn(l.Loinc, l.Value, l.Unit)
			fmt.Fprintf(lab, "%d,%d,%s,%s,%s\n", i, k, col, strconv.FormatFloat(v, 'g', -1, 64), nullDate(l.Date))
		}
		for _, r := range p.Pgx {
			fmt.Fprintf(pgx, "%d,%s,%s,%s\n", i, r.Gene, r.Phenotype, r.Diplotype)
		}
		for _, v := range p.Variants {
			fmt.Fprintf(vr, "%d,%s,%s,%s,%s\n", i, v.Gene, v.ProteinChange, v.Class, v.Origin)
		}
	}
	for _, w := range files {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	for _, c := range closers {
		c.Close()
	}
	if pg.asPostgres {
		exec.Command("chown", "-R", "postgres:postgres", pg.dir).Run()
	}
	d := pg.dir
	script := fmt.Sprintf(`
CREATE TABLE patients (pid int PRIMARY KEY, id text, sex text, race text, birth date);
CREATE TABLE conditions (pid int, system text, code text, date date);
CREATE TABLE medications (pid int, system text, code text, date date);
CREATE TABLE labs (pid int, seq int, loinc text, value double precision, date date);
CREATE TABLE pgx (pid int, gene text, phenotype text, diplotype text);
CREATE TABLE variants (pid int, gene text, protein_change text, class text, origin text);
\copy patients FROM '%[1]s/patients.csv' WITH (FORMAT csv)
\copy conditions FROM '%[1]s/conditions.csv' WITH (FORMAT csv)
\copy medications FROM '%[1]s/medications.csv' WITH (FORMAT csv)
\copy labs FROM '%[1]s/labs.csv' WITH (FORMAT csv)
\copy pgx FROM '%[1]s/pgx.csv' WITH (FORMAT csv)
\copy variants FROM '%[1]s/variants.csv' WITH (FORMAT csv)
CREATE INDEX ON patients (birth);
CREATE INDEX ON patients (sex);
CREATE INDEX ON conditions (system, code text_pattern_ops);
CREATE INDEX ON conditions (pid);
CREATE INDEX ON medications (system, code text_pattern_ops);
CREATE INDEX ON medications (pid);
CREATE INDEX ON labs (loinc, pid, date DESC, seq DESC) INCLUDE (value);
CREATE INDEX ON pgx (gene, phenotype);
CREATE INDEX ON variants (gene, origin);
CREATE INDEX ON variants (pid);
-- The precomputation rxlab's index holds: the most recent value per patient and test.
CREATE TABLE labs_latest AS SELECT DISTINCT ON (pid, loinc) pid, loinc, value, date FROM labs ORDER BY pid, loinc, date DESC NULLS LAST, seq DESC;
CREATE INDEX ON labs_latest (loinc, value);
CREATE INDEX ON labs_latest (loinc, date);
CREATE INDEX ON labs_latest (pid, loinc);
CREATE INDEX ON pgx (pid);
VACUUM ANALYZE;
`, d)
	_, err := pg.psql(script)
	return err
}

func nullDate(s string) string {
	if s == "" {
		return ""
	}
	return s
}

// benchSQL is the six-rule query in SQL: one statement computing the
// count, attrition (remaining and alone) and the three breakdowns, as
// Count does.
//
// With latest, the lab rules read labs_latest (most recent value per
// patient and test, precomputed at load as rxlab's index does at import);
// without, they compute the most recent value from all results.
func benchSQL(f *benchFixture, latest bool) string {
	at := f.s.indexDate()
	lo, _, hi, _ := birthBounds(sixRules().All[0].Age, at)
	d := func(x float64) string { return dayString(int32(x)) }
	cut := dayString(dayOf(at) - 365)
	lab := func(loinc, cond string) string {
		if latest {
			return fmt.Sprintf(`SELECT pid FROM labs_latest WHERE loinc = '%s' AND %s`, loinc, cond)
		}
		return fmt.Sprintf(`SELECT pid FROM (SELECT DISTINCT ON (pid) pid, value, date FROM labs WHERE loinc = '%s' ORDER BY pid, date DESC NULLS LAST, seq DESC) l WHERE %s`, loinc, cond)
	}
	idx := at.Format("2006-01-02")
	return fmt.Sprintf(`
WITH r1 AS MATERIALIZED (SELECT pid FROM patients WHERE birth > '%s' AND birth <= '%s'),
r2 AS MATERIALIZED (%s),
r3 AS MATERIALIZED (%s),
r4 AS MATERIALIZED (SELECT pid FROM patients p WHERE NOT EXISTS (SELECT 1 FROM medications m WHERE m.pid = p.pid AND m.system = 'ATC' AND m.code LIKE 'B01A%%')),
r5 AS MATERIALIZED (SELECT DISTINCT pid FROM pgx WHERE gene = 'CYP2C19' AND lower(phenotype) IN ('normal metabolizer', 'rapid metabolizer', 'ultrarapid metabolizer', 'intermediate metabolizer')),
r6 AS MATERIALIZED (SELECT pid FROM patients p WHERE NOT EXISTS (SELECT 1 FROM variants v WHERE v.pid = p.pid AND v.gene IN ('BRCA1', 'BRCA2') AND v.origin = 'GERMLINE')),
s2 AS MATERIALIZED (SELECT pid FROM r1 INTERSECT SELECT pid FROM r2),
s3 AS MATERIALIZED (SELECT pid FROM s2 INTERSECT SELECT pid FROM r3),
s4 AS MATERIALIZED (SELECT pid FROM s3 INTERSECT SELECT pid FROM r4),
s5 AS MATERIALIZED (SELECT pid FROM s4 INTERSECT SELECT pid FROM r5),
s6 AS MATERIALIZED (SELECT pid FROM s5 INTERSECT SELECT pid FROM r6),
fin AS MATERIALIZED (SELECT p.* FROM s6 JOIN patients p USING (pid))
SELECT (SELECT count(*) FROM fin),
 (SELECT count(*) FROM r1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3), (SELECT count(*) FROM s4), (SELECT count(*) FROM s5), (SELECT count(*) FROM s6),
 (SELECT count(*) FROM r1), (SELECT count(*) FROM r2), (SELECT count(*) FROM r3), (SELECT count(*) FROM r4), (SELECT count(*) FROM r5), (SELECT count(*) FROM r6),
 (SELECT string_agg(sex || ':' || c, ',' ORDER BY sex) FROM (SELECT sex, count(*) c FROM fin GROUP BY sex) x),
 (SELECT string_agg(b || ':' || c, ',' ORDER BY b) FROM (SELECT CASE WHEN birth IS NULL THEN 'unknown' ELSE least(90, (extract(year FROM age('%s', birth))::int / 10) * 10)::text END b, count(*) c FROM fin GROUP BY 1) x),
 (SELECT string_agg(race || ':' || c, ',' ORDER BY race) FROM (SELECT race, count(*) c FROM fin GROUP BY race) x);
`, d(*lo), d(*hi), lab("98979-8", "value >= 30 AND date >= '"+cut+"'"), lab("1742-6", "value <= 100"), idx)
}

// benchSQLFlags is the same query written the way a DBA would tune it: one
// pass over patients computing a flag per rule (latest labs joined from
// labs_latest), then counts with FILTER for the total, attrition and
// breakdowns.
func benchSQLFlags(f *benchFixture) string {
	at := f.s.indexDate()
	lo, _, hi, _ := birthBounds(sixRules().All[0].Age, at)
	d := func(x float64) string { return dayString(int32(x)) }
	cut := dayString(dayOf(at) - 365)
	idx := at.Format("2006-01-02")
	return fmt.Sprintf(`
WITH f AS MATERIALIZED (
 SELECT p.pid, p.sex, p.race, p.birth,
  (p.birth > '%s' AND p.birth <= '%s') AS r1,
  coalesce(e.value >= 30 AND e.date >= '%s', false) AS r2,
  coalesce(a.value <= 100, false) AS r3,
  NOT EXISTS (SELECT 1 FROM medications m WHERE m.pid = p.pid AND m.system = 'ATC' AND m.code LIKE 'B01A%%') AS r4,
  EXISTS (SELECT 1 FROM pgx x WHERE x.pid = p.pid AND x.gene = 'CYP2C19' AND lower(x.phenotype) IN ('normal metabolizer', 'rapid metabolizer', 'ultrarapid metabolizer', 'intermediate metabolizer')) AS r5,
  NOT EXISTS (SELECT 1 FROM variants v WHERE v.pid = p.pid AND v.gene IN ('BRCA1', 'BRCA2') AND v.origin = 'GERMLINE') AS r6
 FROM patients p
 LEFT JOIN labs_latest e ON e.pid = p.pid AND e.loinc = '98979-8'
 LEFT JOIN labs_latest a ON a.pid = p.pid AND a.loinc = '1742-6'),
fin AS MATERIALIZED (SELECT * FROM f WHERE r1 AND r2 AND r3 AND r4 AND r5 AND r6)
SELECT (SELECT count(*) FROM fin), c1, c2, c3, c4, c5, c6, a1, a2, a3, a4, a5, a6,
 (SELECT string_agg(sex || ':' || c, ',' ORDER BY sex) FROM (SELECT sex, count(*) c FROM fin GROUP BY sex) x),
 (SELECT string_agg(b || ':' || c, ',' ORDER BY b) FROM (SELECT CASE WHEN birth IS NULL THEN 'unknown' ELSE least(90, (extract(year FROM age('%s', birth))::int / 10) * 10)::text END b, count(*) c FROM fin GROUP BY 1) x),
 (SELECT string_agg(race || ':' || c, ',' ORDER BY race) FROM (SELECT race, count(*) c FROM fin GROUP BY race) x)
FROM (SELECT count(*) FILTER (WHERE r1) c1, count(*) FILTER (WHERE r1 AND r2) c2, count(*) FILTER (WHERE r1 AND r2 AND r3) c3,
 count(*) FILTER (WHERE r1 AND r2 AND r3 AND r4) c4, count(*) FILTER (WHERE r1 AND r2 AND r3 AND r4 AND r5) c5,
 count(*) FILTER (WHERE r1 AND r2 AND r3 AND r4 AND r5 AND r6) c6,
 count(*) FILTER (WHERE r1) a1, count(*) FILTER (WHERE r2) a2, count(*) FILTER (WHERE r3) a3, count(*) FILTER (WHERE r4) a4,
 count(*) FILTER (WHERE r5) a5, count(*) FILTER (WHERE r6) a6 FROM f) agg;
`, d(*lo), d(*hi), cut, idx)
}

var pgTime = regexp.MustCompile(`^Time: ([0-9.]+) ms`)

// run executes the query n times in one psql session with \timing and
// returns the first run's numeric columns and every run's time.
func (pg *pgServer) run(sql string, n int) ([]int, []time.Duration, error) {
	var b strings.Builder
	b.WriteString("\\timing on\n")
	for i := 0; i < n+1; i++ { // one warm-up run
		b.WriteString(sql)
	}
	out, err := pg.psql(b.String())
	if err != nil {
		return nil, nil, err
	}
	var counts []int
	var times []time.Duration
	for _, line := range strings.Split(out, "\n") {
		if m := pgTime.FindStringSubmatch(line); m != nil {
			ms, _ := strconv.ParseFloat(m[1], 64)
			times = append(times, time.Duration(ms*float64(time.Millisecond)))
			continue
		}
		if counts == nil && strings.Count(line, "|") >= 15 {
			for _, f := range strings.Split(line, "|")[:13] {
				v, err := strconv.Atoi(f)
				if err != nil {
					return nil, nil, fmt.Errorf("postgres output %q", line)
				}
				counts = append(counts, v)
			}
		}
	}
	if len(times) < 2 || counts == nil {
		return nil, nil, fmt.Errorf("postgres output not understood: %.500s", out)
	}
	return counts, times[1:], nil
}

// A multi-threaded front end to the METEOR 1.5 jar (pycocoevalcap's meteor-1.5.jar).
//
// It answers "SCORE ||| ..." and "EVAL ||| ..." lines exactly as the jar's own stdio mode
// (Meteor.scoreStdio) does, with the same METEOR classes, configuration and output formatting:
// SCORE -> MeteorScorer.getMeteorStats(hyp, refs).toString(); EVAL -> for each stats string,
// computeMetrics + println(score), addStats into an aggregate, then computeMetrics(aggregate) and
// println(its score). Differences: the paraphrase tables are loaded once and shared by several
// threads (MeteorScorer's copy constructor shares resources), and requests come in batches that
// end with a line "COMPMO_FLUSH"; the answers of a batch are written in request order, followed by
// "COMPMO_DONE", with one flush. Two steps that depend on one string only are done once per
// distinct string: METEOR's -norm normalisation of a sentence (Normalizer.normalizeLine, the same
// static call with the scorer's own settings, whose result the scorer copies then receive with
// their normalize flag off) and the parsing of a statistics string (java.util.Scanner, the slowest
// step of EVAL; the parsed object is copied field by field for every use).
//
// Paraphrase table filtered to the input's vocabulary (optional): when the first input line is
// "COMPMO_VOCAB <n> <cache dir>", the next n lines are every sentence that will be scored; the
// driver keeps only the paraphrase-table entries whose words (both phrases, split on whitespace as
// the table's reader does) all occur in those sentences after METEOR's own normalisation (also
// raw and lower-cased: a superset), writes them, in their original order, to a temporary table and
// starts METEOR with "-a" on it. An entry with a word outside the input can never match (a
// paraphrase match needs one phrase in the hypothesis and the other in the reference), so the
// statistics are unchanged (tested against the full table); loading takes a fraction of the time.
// The full table is indexed once (entries bucketed by their first word, each bucket deflated)
// into the cache directory.
//
// usage: java -Xmx2G -cp meteor-1.5.jar:DIR CompmoMeteor THREADS - - -stdio -l en -norm

import edu.cmu.meteor.scorer.MeteorConfiguration;
import edu.cmu.meteor.scorer.MeteorScorer;
import edu.cmu.meteor.scorer.MeteorStats;
import edu.cmu.meteor.util.Normalizer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.File;
import java.io.OutputStreamWriter;
import java.util.HashSet;
import java.util.Set;
import java.util.StringTokenizer;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class CompmoMeteor {
    /** Parsed statistics by string: MeteorStats(String) uses java.util.Scanner, which is slow. */
    static final class StatsCache extends HashMap<String, MeteorStats> {
        /** Fast parses still to check against MeteorStats(String); any difference: off for good. */
        int toCheck = 500;
        boolean fast = true;

        MeteorStats parse(String text) {
            MeteorStats t = get(text);
            if (t == null) {
                if (size() > 300000) {
                    clear();
                }
                t = fast ? fastParse(text) : null;
                if (t == null) {
                    t = new MeteorStats(text);
                } else if (toCheck > 0) {
                    toCheck--;
                    MeteorStats slow = new MeteorStats(text);
                    if (!sameFields(t, slow)) {
                        fast = false;
                        t = slow;
                    }
                }
                put(text, t);
            }
            return copy(t);
        }
    }

    static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile("\\d+\\.\\d+");

    /**
     * MeteorStats(String) without java.util.Scanner: the same 23 numbers assigned in the same
     * order with the same sums (see the constructor), for plain "digits.digits" tokens only;
     * null for anything else (the caller then uses the real constructor).
     */
    static MeteorStats fastParse(String text) {
        String[] tok = text.trim().split("\\s+");
        if (tok.length != 23) {
            return null;
        }
        double[] v = new double[23];
        for (int i = 0; i < 23; i++) {
            if (!PLAIN.matcher(tok[i]).matches()) {
                return null;
            }
            v[i] = Double.parseDouble(tok[i]);
        }
        MeteorStats m = new MeteorStats();
        m.testLength = v[0];
        m.referenceLength = v[1];
        m.testFunctionWords = v[2];
        m.referenceFunctionWords = v[3];
        m.testTotalMatches = 0.0;
        m.referenceTotalMatches = 0.0;
        m.testStageMatchesContent = new ArrayList<Double>();
        m.referenceStageMatchesContent = new ArrayList<Double>();
        m.testStageMatchesFunction = new ArrayList<Double>();
        m.referenceStageMatchesFunction = new ArrayList<Double>();
        int k = 4;
        for (int i = 0; i < 4; i++) {
            double a = v[k++];
            double b = v[k++];
            m.testTotalMatches += a;
            m.referenceTotalMatches += b;
            m.testStageMatchesContent.add(a);
            m.referenceStageMatchesContent.add(b);
            double c = v[k++];
            double d = v[k++];
            m.testTotalMatches += c;
            m.referenceTotalMatches += d;
            m.testStageMatchesFunction.add(c);
            m.referenceStageMatchesFunction.add(d);
        }
        m.chunks = v[k++];
        m.testWordMatches = v[k++];
        m.referenceWordMatches = v[k];
        // MeteorStats() zeroes the derived fields; MeteorStats(String) leaves them at their
        // defaults (0.0, null) as well.
        m.testWeightedMatches = 0.0;
        m.referenceWeightedMatches = 0.0;
        m.testWeightedLength = 0.0;
        m.referenceWeightedLength = 0.0;
        m.precision = 0.0;
        m.recall = 0.0;
        m.f1 = 0.0;
        m.fMean = 0.0;
        m.fragPenalty = 0.0;
        m.score = 0.0;
        m.alignment = null;
        return m;
    }

    static boolean same(double a, double b) {
        return Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(b);
    }

    static boolean sameFields(MeteorStats a, MeteorStats b) {
        return same(a.testLength, b.testLength) && same(a.referenceLength, b.referenceLength)
            && same(a.testFunctionWords, b.testFunctionWords)
            && same(a.referenceFunctionWords, b.referenceFunctionWords)
            && same(a.testTotalMatches, b.testTotalMatches)
            && same(a.referenceTotalMatches, b.referenceTotalMatches)
            && a.testStageMatchesContent.equals(b.testStageMatchesContent)
            && a.referenceStageMatchesContent.equals(b.referenceStageMatchesContent)
            && a.testStageMatchesFunction.equals(b.testStageMatchesFunction)
            && a.referenceStageMatchesFunction.equals(b.referenceStageMatchesFunction)
            && same(a.chunks, b.chunks) && same(a.testWordMatches, b.testWordMatches)
            && same(a.referenceWordMatches, b.referenceWordMatches)
            && same(a.testWeightedMatches, b.testWeightedMatches)
            && same(a.referenceWeightedMatches, b.referenceWeightedMatches)
            && same(a.testWeightedLength, b.testWeightedLength)
            && same(a.referenceWeightedLength, b.referenceWeightedLength)
            && same(a.precision, b.precision) && same(a.recall, b.recall) && same(a.f1, b.f1)
            && same(a.fMean, b.fMean) && same(a.fragPenalty, b.fragPenalty)
            && same(a.score, b.score) && a.alignment == b.alignment;
    }

    /** A field-by-field copy (every field of MeteorStats is public), i.e. a fresh parse. */
    static MeteorStats copy(MeteorStats t) {
        MeteorStats c = new MeteorStats();
        c.testLength = t.testLength;
        c.referenceLength = t.referenceLength;
        c.testFunctionWords = t.testFunctionWords;
        c.referenceFunctionWords = t.referenceFunctionWords;
        c.testTotalMatches = t.testTotalMatches;
        c.referenceTotalMatches = t.referenceTotalMatches;
        c.testStageMatchesContent = new ArrayList<Double>(t.testStageMatchesContent);
        c.referenceStageMatchesContent = new ArrayList<Double>(t.referenceStageMatchesContent);
        c.testStageMatchesFunction = new ArrayList<Double>(t.testStageMatchesFunction);
        c.referenceStageMatchesFunction = new ArrayList<Double>(t.referenceStageMatchesFunction);
        c.chunks = t.chunks;
        c.testWordMatches = t.testWordMatches;
        c.referenceWordMatches = t.referenceWordMatches;
        c.testWeightedMatches = t.testWeightedMatches;
        c.referenceWeightedMatches = t.referenceWeightedMatches;
        c.testWeightedLength = t.testWeightedLength;
        c.referenceWeightedLength = t.referenceWeightedLength;
        c.precision = t.precision;
        c.recall = t.recall;
        c.f1 = t.f1;
        c.fMean = t.fMean;
        c.fragPenalty = t.fragPenalty;
        c.score = t.score;
        c.alignment = t.alignment;
        return c;
    }

    /** METEOR's -norm step (a pure static function, regex-heavy) once per distinct sentence. */
    static final class NormCache extends HashMap<String, String> {
        final boolean enabled;
        final int langID;
        final boolean keepPunctuation;

        NormCache(boolean enabled, int langID, boolean keepPunctuation) {
            this.enabled = enabled;
            this.langID = langID;
            this.keepPunctuation = keepPunctuation;
        }

        String apply(String s) {
            if (!enabled) {
                return s;
            }
            String n = get(s);
            if (n == null) {
                if (size() > 300000) {
                    clear();
                }
                n = Normalizer.normalizeLine(s, langID, keepPunctuation);
                put(s, n);
            }
            return n;
        }
    }

    static String answer(MeteorScorer scorer, StatsCache cache, NormCache norm, String line) {
        if (line.startsWith("SCORE") || line.startsWith("score")) {
            String[] parts = line.split("\\|\\|\\|");
            if (parts.length < 3) {
                return "Error: specify hypothesis and at least one reference";
            }
            ArrayList<String> refs = new ArrayList<String>();
            for (int i = 1; i < parts.length - 1; i++) {
                refs.add(norm.apply(parts[i].trim()));
            }
            String hyp = norm.apply(parts[parts.length - 1].trim());
            return scorer.getMeteorStats(hyp, refs).toString();
        }
        if (line.startsWith("EVAL") || line.startsWith("eval")) {
            String[] parts = line.split("\\|\\|\\|");
            if (parts.length < 2) {
                return "Error: specify Meteor stats";
            }
            StringBuilder out = new StringBuilder();
            MeteorStats agg = new MeteorStats();
            for (int i = 1; i < parts.length; i++) {
                MeteorStats stats = cache.parse(parts[i].trim());
                scorer.computeMetrics(stats);
                out.append(String.valueOf(stats.score)).append('\n');
                agg.addStats(stats);
            }
            scorer.computeMetrics(agg);
            out.append(String.valueOf(agg.score));
            return out.toString();
        }
        return "Error: unknown request";
    }

    static void addWords(Set<String> vocab, String s) {
        StringTokenizer tok = new StringTokenizer(s);
        while (tok.hasMoreTokens()) {
            String t = tok.nextToken();
            vocab.add(t);
            vocab.add(t.toLowerCase());
        }
    }

    public static void main(String[] args) throws Exception {
        int threads = Math.max(1, Integer.parseInt(args[0]));
        String[] meteorArgs = Arrays.copyOfRange(args, 1, args.length);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String first = in.readLine();
        File filtered = null;
        if (first != null && first.startsWith("COMPMO_VOCAB ")) {
            String[] f = first.split(" ", 3);
            int n = Integer.parseInt(f[1]);
            File dir = new File(f[2]);
            Properties p0 = Meteor.createPropertiesFromArgs(meteorArgs, 2);
            MeteorConfiguration c0 = new MeteorConfiguration(p0);
            boolean keep = "true".equals(p0.getProperty("keepPunctuation"));
            Set<String> vocab = new HashSet<String>();
            for (int i = 0; i < n; i++) {
                String s = in.readLine();
                addWords(vocab, s);
                addWords(vocab, Normalizer.normalizeLine(s, c0.getLangID(), keep));
                addWords(vocab, Normalizer.normalizeLine(s, c0.getLangID(), true));
                addWords(vocab, Normalizer.normalizeLine(s, c0.getLangID(), false));
            }
            if (!new File(dir, CompmoParaphrase.INDEX).isFile()) {
                CompmoParaphrase.build(new File(c0.getParaDirURL().toURI()), dir);
            }
            filtered = File.createTempFile("compmo-paraphrase-", ".gz");
            filtered.deleteOnExit();
            long t0 = System.nanoTime();
            int kept = CompmoParaphrase.filter(dir, vocab, filtered);
            System.err.println("compmo: paraphrase table filtered to " + kept + " entries for "
                + vocab.size() + " words in " + (System.nanoTime() - t0) / 1000000 + " ms");
            String[] extended = Arrays.copyOf(meteorArgs, meteorArgs.length + 2);
            extended[meteorArgs.length] = "-a";
            extended[meteorArgs.length + 1] = filtered.getPath();
            meteorArgs = extended;
            first = null;
        }
        Properties props = Meteor.createPropertiesFromArgs(meteorArgs, 2);
        MeteorConfiguration config = new MeteorConfiguration(props);
        long t1 = System.nanoTime();
        MeteorScorer base = new MeteorScorer(config);
        System.err.println("compmo: METEOR scorer ready in " + (System.nanoTime() - t1) / 1000000 + " ms");
        // Each thread scores with a copy that shares base's resources. The copies get sentences
        // already normalised (by the same static Normalizer.normalizeLine call, with base's
        // language and punctuation settings, cached per sentence), so their own "normalize" flag
        // is switched off; without reflection access, they normalise as the jar does.
        boolean normalize = false;
        int langID = 0;
        boolean keep = false;
        Field fNorm = null;
        try {
            fNorm = MeteorScorer.class.getDeclaredField("normalize");
            Field fLang = MeteorScorer.class.getDeclaredField("langID");
            Field fKeep = MeteorScorer.class.getDeclaredField("keepPunctuation");
            fNorm.setAccessible(true);
            fLang.setAccessible(true);
            fKeep.setAccessible(true);
            normalize = fNorm.getBoolean(base);
            langID = fLang.getInt(base);
            keep = fKeep.getBoolean(base);
        } catch (ReflectiveOperationException | RuntimeException e) {
            fNorm = null;
            normalize = false;
        }
        final MeteorScorer[] scorers = new MeteorScorer[threads];
        final StatsCache[] caches = new StatsCache[threads];
        final NormCache[] norms = new NormCache[threads];
        for (int t = 0; t < threads; t++) {
            caches[t] = new StatsCache();
            scorers[t] = new MeteorScorer(base);
            boolean pre = false;
            if (normalize && fNorm != null) {
                fNorm.setBoolean(scorers[t], false);
                pre = true;
            }
            norms[t] = new NormCache(pre, langID, keep);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, "UTF-8"), 1 << 16);
        out.write("COMPMO_READY\n");
        out.flush();
        List<String> batch = new ArrayList<String>();
        String line;
        while ((line = first != null ? first : in.readLine()) != null) {
            first = null;
            if (!line.equals("COMPMO_FLUSH")) {
                batch.add(line);
                continue;
            }
            final List<String> lines = batch;
            final String[] answers = new String[lines.size()];
            int n = lines.size();
            List<Future<?>> jobs = new ArrayList<Future<?>>();
            for (int t = 0; t < threads; t++) {
                final int lo = (int) ((long) n * t / threads);
                final int hi = (int) ((long) n * (t + 1) / threads);
                final MeteorScorer scorer = scorers[t];
                final StatsCache cache = caches[t];
                final NormCache norm = norms[t];
                jobs.add(pool.submit(() -> {
                    for (int i = lo; i < hi; i++) {
                        answers[i] = answer(scorer, cache, norm, lines.get(i));
                    }
                }));
            }
            for (Future<?> job : jobs) {
                job.get();
            }
            for (String a : answers) {
                out.write(a);
                out.write('\n');
            }
            out.write("COMPMO_DONE\n");
            out.flush();
            batch = new ArrayList<String>();
        }
        pool.shutdown();
    }
}

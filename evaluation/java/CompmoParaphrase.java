// METEOR's paraphrase table, indexed for filtering (used by CompmoMeteor.java).
//
// The index (built once into a cache directory) puts every entry into the bucket of its rarest
// word over both phrases, each bucket deflated, with the entry's position in the table. filter()
// reads the buckets of the given words only and writes the entries whose words are all among
// them, in table order and in the table's own format (probability, phrase, paraphrase lines),
// for METEOR's "-a" option.

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Set;
import java.util.StringTokenizer;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.InflaterInputStream;

public final class CompmoParaphrase {
    static final String DATA = "buckets.bin";
    static final String INDEX = "index.bin";

    /** Build the index of {@code table} into {@code dir} (atomically: a temporary sibling). */
    static void build(File table, File dir) throws IOException {
        // Each entry goes to the bucket of its rarest word (over both phrases): a run reads
        // the buckets of its own words only, and common words' buckets stay small.
        ArrayList<String[]> words = new ArrayList<String[]>();
        ArrayList<byte[]> entries = new ArrayList<byte[]>();
        HashMap<String, Integer> freq = new HashMap<String, Integer>();
        BufferedReader in = new BufferedReader(new InputStreamReader(
            new GZIPInputStream(new FileInputStream(table), 1 << 16), StandardCharsets.UTF_8), 1 << 16);
        String prob;
        while ((prob = in.readLine()) != null) {
            String p1 = in.readLine();
            String p2 = in.readLine();
            if (p1 == null || p2 == null) {
                break;
            }
            StringTokenizer tok = new StringTokenizer(p1 + " " + p2);
            String[] w = new String[tok.countTokens()];
            for (int i = 0; i < w.length; i++) {
                w[i] = tok.nextToken().intern();
                freq.merge(w[i], 1, Integer::sum);
            }
            words.add(w);
            entries.add((entries.size() + "\n" + prob + "\n" + p1 + "\n" + p2 + "\n")
                .getBytes(StandardCharsets.UTF_8));
        }
        in.close();
        ArrayList<String> keys = new ArrayList<String>(words.size());
        for (String[] w : words) {
            String best = "";
            int bestFreq = Integer.MAX_VALUE;
            for (String x : w) {
                int f = freq.get(x);
                if (f < bestFreq || f == bestFreq && x.compareTo(best) < 0) {
                    best = x;
                    bestFreq = f;
                }
            }
            keys.add(best);
        }
        words = null;
        Integer[] order = new Integer[keys.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        final ArrayList<String> k = keys;
        Arrays.sort(order, (a, b) -> k.get(a).compareTo(k.get(b)));  // stable: file order kept
        File tmp = new File(dir.getPath() + ".tmp" + ProcessHandle.current().pid());
        tmp.mkdirs();
        RandomAccessFile data = new RandomAccessFile(new File(tmp, DATA), "rw");
        data.setLength(0);
        DataOutputStream index = new DataOutputStream(new BufferedOutputStream(
            new FileOutputStream(new File(tmp, INDEX)), 1 << 16));
        int nKeys = 0;
        for (int i = 0; i < order.length; ) {
            nKeys++;
            int j = i;
            while (j < order.length && k.get(order[j]).equals(k.get(order[i]))) {
                j++;
            }
            i = j;
        }
        index.writeInt(nKeys);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (int i = 0; i < order.length; ) {
            String key = k.get(order[i]);
            buf.reset();
            DeflaterOutputStream z = new DeflaterOutputStream(buf, new Deflater(1));
            int j = i;
            while (j < order.length && k.get(order[j]).equals(key)) {
                z.write(entries.get(order[j]));
                j++;
            }
            z.close();
            index.writeUTF(key);
            index.writeLong(data.getFilePointer());
            index.writeInt(buf.size());
            data.write(buf.toByteArray());
            i = j;
        }
        data.close();
        index.close();
        if (!tmp.renameTo(dir)) {  // another process won the race: use its copy
            new File(tmp, DATA).delete();
            new File(tmp, INDEX).delete();
            tmp.delete();
        }
    }

    /** Entries whose words are all in {@code vocab}, in table order, written as a table. */
    static int filter(File dir, Set<String> vocab, File out) throws IOException {
        DataInputStream index = new DataInputStream(new BufferedInputStream(
            new FileInputStream(new File(dir, INDEX)), 1 << 16));
        int n = index.readInt();
        ArrayList<long[]> wanted = new ArrayList<long[]>();
        for (int i = 0; i < n; i++) {
            String key = index.readUTF();
            long off = index.readLong();
            int len = index.readInt();
            if (vocab.contains(key)) {
                wanted.add(new long[] {off, len});
            }
        }
        index.close();
        ArrayList<long[]> keptOrder = new ArrayList<long[]>();
        ArrayList<String> kept = new ArrayList<String>();
        RandomAccessFile data = new RandomAccessFile(new File(dir, DATA), "r");
        for (long[] w : wanted) {
            byte[] raw = new byte[(int) w[1]];
            data.seek(w[0]);
            data.readFully(raw);
            BufferedReader in = new BufferedReader(new InputStreamReader(
                new InflaterInputStream(new ByteArrayInputStream(raw)), StandardCharsets.UTF_8));
            String ord;
            while ((ord = in.readLine()) != null) {
                String prob = in.readLine();
                String p1 = in.readLine();
                String p2 = in.readLine();
                if (allIn(p1, vocab) && allIn(p2, vocab)) {
                    keptOrder.add(new long[] {Long.parseLong(ord), kept.size()});
                    kept.add(prob + "\n" + p1 + "\n" + p2 + "\n");
                }
            }
        }
        data.close();
        keptOrder.sort((a, b) -> Long.compare(a[0], b[0]));
        Writer w = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(
            new FileOutputStream(out), 1 << 16) {{ def.setLevel(1); }}, StandardCharsets.UTF_8), 1 << 16);
        for (long[] o : keptOrder) {
            w.write(kept.get((int) o[1]));
        }
        w.close();
        return kept.size();
    }

    static boolean allIn(String phrase, Set<String> vocab) {
        StringTokenizer tok = new StringTokenizer(phrase);
        while (tok.hasMoreTokens()) {
            if (!vocab.contains(tok.nextToken())) {
                return false;
            }
        }
        return true;
    }
}

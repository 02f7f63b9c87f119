import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { chardet as jschardet } from 'jschardet';
import { UploadRejected } from '../../common/errors/domain-errors';
import { prepareCsvText, UTF8_COPY_NAME } from './csv-text';

/** Python's codecs are the reference encoder (and decoder) for the test files. */
const PYTHON = '/usr/bin/python3';
const FIXTURES = join(__dirname, '../../../test/fixtures');
const FRICTIONLESS = join(FIXTURES, 'corpus/frictionless/data');

let dir: string;
let work: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'csv-text-'));
  work = join(dir, 'work');
  execFileSync('mkdir', [work]);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Encodes `text` with Python's codec `encoding` into a file of the temp dir. */
function encoded(name: string, text: string, encoding: string): string {
  const path = join(dir, name);
  const script = 'import sys\nopen(sys.argv[1], "wb").write(sys.stdin.read().encode(sys.argv[2]))';
  execFileSync(PYTHON, ['-c', script, path, encoding], { input: text, env: utf8Env() });
  return path;
}

/** What Python gives for `bytes.decode(encoding, errors)`: pandas' encoding_errors="replace". */
function pythonDecoded(path: string, encoding: string, errors = 'strict'): string {
  const script =
    'import sys\nsys.stdout.write(open(sys.argv[1], "rb").read().decode(sys.argv[2], sys.argv[3]))';
  return execFileSync(PYTHON, ['-c', script, path, encoding, errors], {
    env: utf8Env(),
    maxBuffer: 64 * 1024 * 1024,
  }).toString('utf8');
}

function utf8Env(): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' };
}

function bytesFile(name: string, ...parts: (string | number[])[]): string {
  const path = join(dir, name);
  const buffers = parts.map((p) =>
    typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p),
  );
  writeFileSync(path, Buffer.concat(buffers));
  return path;
}

/** Deterministic pseudo-random rows: id, name, city, amount, date, note. */
function table(words: { names: string[]; cities: string[]; notes: string[] }, rows = 20): string {
  let seed = 7;
  const pick = <T>(list: T[]): T => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return list[seed % list.length];
  };
  const lines = ['id,name,city,amount,date,note'];
  for (let i = 1; i <= rows; i++) {
    const amount = `${(i * 7919) % 10000}.${String(i % 100).padStart(2, '0')}`;
    const date = `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
    lines.push(
      [i, pick(words.names), pick(words.cities), amount, date, pick(words.notes)].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

const WORDS = {
  polish: {
    names: [
      'Łukasz Wiśniewski',
      'Małgorzata Żółkiewska',
      'Józef Piłsudski',
      'Katarzyna Dąbrowska',
      'Paweł Łęcki',
      'Ewa Ślusarczyk',
      'Wojciech Gałązka',
    ],
    cities: ['Kraków', 'Łódź', 'Gdańsk', 'Poznań', 'Wrocław', 'Białystok', 'Toruń', 'Częstochowa'],
    notes: [
      'dostawa w środę',
      'płatność przelewem',
      'zwrot towaru',
      'pilne, zadzwonić',
      'faktura korygująca',
    ],
  },
  czech: {
    names: ['Jiří Dvořák', 'Petr Novák', 'Markéta Černá', 'Tomáš Růžička', 'Zdeněk Šťastný'],
    cities: ['Praha', 'Brno', 'Ostrava', 'Plzeň', 'České Budějovice', 'Ústí nad Labem'],
    notes: ['doprava zdarma', 'účtenka přiložena', 'objednávka zrušena', 'zboží poškozeno'],
  },
  russian: {
    names: [
      'Иван Петров',
      'Мария Смирнова',
      'Алексей Кузнецов',
      'Ольга Васильева',
      'Дмитрий Соколов',
      'Екатерина Попова',
    ],
    cities: ['Москва', 'Санкт-Петербург', 'Новосибирск', 'Екатеринбург', 'Казань', 'Самара'],
    notes: [
      'доставка в среду',
      'оплата наличными',
      'возврат товара',
      'срочно позвонить',
      'нет на складе',
    ],
  },
  ukrainian: {
    names: [
      'Олександр Шевченко',
      'Ірина Коваленко',
      'Євген Бондаренко',
      'Наталія Ткаченко',
      'Юрій Кравченко',
    ],
    cities: ['Київ', 'Львів', 'Івано-Франківськ', 'Вінниця', 'Запоріжжя', 'Житомир', 'Чернігів'],
    notes: [
      'доставка у середу',
      'оплата готівкою',
      'повернення товару',
      'терміново зателефонувати',
    ],
  },
  french: {
    names: [
      'Hélène Dupré',
      'François Lefèvre',
      'Jérôme Bézier',
      'Chloé Pâquet',
      'Noël Garçon',
      'Renée Mercœur',
    ],
    cities: ['Besançon', 'Orléans', 'Nîmes', 'Genève', 'Fréjus', 'Saint-Étienne', 'Île-d’Yeu'],
    notes: [
      'livraison prévue mercredi',
      'paiement reçu – merci',
      'déjà expédié',
      '« à rappeler »',
      'coût 12 €',
      'reçu “urgent”',
    ],
  },
  german: {
    names: ['Jürgen Müller', 'Dörte Schäfer', 'Björn Weiß', 'Käthe Grün', 'Günther Böhm'],
    cities: ['München', 'Köln', 'Düsseldorf', 'Nürnberg', 'Lübeck', 'Göttingen'],
    notes: [
      'Lieferung am Mittwoch',
      'Zahlung erhalten',
      'Rücksendung',
      'dringend zurückrufen',
      'Größe prüfen',
    ],
  },
  greek: {
    names: [
      'Λεωνίδας Παπαδόπουλος',
      'Αλέξανδρος Γεωργίου',
      'Μύρων Νικολάου',
      'Ελένη Κωνσταντίνου',
      'Σοφία Ιωάννου',
    ],
    cities: ['Αθήνα', 'Θεσσαλονίκη', 'Πάτρα', 'Ηράκλειο', 'Λάρισα', 'Βόλος', 'Ιωάννινα'],
    notes: [
      'παράδοση την Τετάρτη',
      'πληρωμή με μετρητά',
      'επιστροφή προϊόντος',
      'επείγον',
      'τιμολόγιο',
    ],
  },
  turkish: {
    names: [
      'Ahmet Yılmaz',
      'Ayşe Kaya',
      'Mehmet Öztürk',
      'Şule Çelik',
      'Gülşen Doğan',
      'İsmail Güneş',
    ],
    cities: ['İstanbul', 'Ankara', 'İzmir', 'Eskişehir', 'Muğla', 'Şanlıurfa'],
    notes: [
      'ödeme alındı',
      'kargo gönderildi',
      'iade talebi',
      'acil, geri arayın',
      'fatura düzenlendi',
    ],
  },
  japanese: {
    names: ['山田太郎', '佐藤花子', '鈴木一郎', '高橋美咲', '田中健太', '渡辺由美', '伊藤翔'],
    cities: ['東京都', '大阪府', '京都市', '札幌市', '名古屋市', '福岡市', '横浜市'],
    notes: [
      '水曜日に配送予定',
      '代金引換',
      '返品手続き中',
      '至急お電話ください',
      '請求書発行済み',
      '在庫切れ（入荷待ち）',
    ],
  },
  /** NEC and IBM extensions that only cp932 (Windows Shift_JIS) encodes. */
  japaneseWindows: {
    names: ['山田太郎', '佐藤花子', '鈴木一郎', '髙橋美咲', '田中健太'],
    cities: ['東京都', '大阪府', '京都市', '札幌市'],
    notes: ['㈱山田商事', '①配送予定', '②返品', '№12 在庫切れ', 'ⅲ請求書発行済み'],
  },
  chineseSimplified: {
    names: ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏'],
    cities: ['北京市', '上海市', '广州市', '深圳市', '成都市', '杭州市', '武汉市'],
    notes: ['周三发货', '货到付款', '退货处理中', '紧急，请回电', '已开具发票', '库存不足'],
  },
  chineseTraditional: {
    names: ['陳建宏', '林淑芬', '黃志明', '張雅婷', '李宗翰', '王美玲'],
    cities: ['臺北市', '新北市', '臺中市', '高雄市', '臺南市', '桃園市'],
    notes: ['週三出貨', '貨到付款', '退貨處理中', '緊急，請回電', '已開立發票', '庫存不足'],
  },
  korean: {
    names: ['김민준', '이서연', '박지훈', '최수빈', '정예은', '강동현'],
    cities: ['서울특별시', '부산광역시', '대구광역시', '인천광역시', '광주광역시', '수원시'],
    notes: ['수요일 배송 예정', '착불', '반품 처리 중', '긴급, 전화 바랍니다', '세금계산서 발행'],
  },
};

async function read(path: string, options = {}) {
  const prepared = await prepareCsvText(path, work, options);
  return { ...prepared, text: readFileSync(prepared.path, 'utf8') };
}

describe('prepareCsvText: code pages, detected by jschardet', () => {
  // [language, Python codec that writes the file, words, encodings whose decoding is the same]
  it.each([
    ['Polish', 'cp1250', WORDS.polish, ['cp1250']],
    ['Polish', 'iso8859_2', WORDS.polish, ['iso8859-2']],
    ['Czech', 'cp1250', WORDS.czech, ['cp1250']],
    ['Russian', 'cp1251', WORDS.russian, ['cp1251']],
    ['Ukrainian', 'cp1251', WORDS.ukrainian, ['cp1251']],
    ['Russian', 'iso8859_5', WORDS.russian, ['iso8859-5']],
    ['Russian', 'koi8_r', WORDS.russian, ['koi8-r', 'koi8-u']],
    ['French', 'cp1252', WORDS.french, ['cp1252']],
    ['German', 'latin_1', WORDS.german, ['iso8859-1', 'cp1252', 'iso8859-15']],
    ['Greek', 'cp1253', WORDS.greek, ['cp1253']],
    ['Greek', 'iso8859_7', WORDS.greek, ['iso8859-7', 'cp1253']],
    ['Turkish', 'cp1254', WORDS.turkish, ['cp1254', 'iso8859-9']],
    ['Japanese', 'shift_jis', WORDS.japanese, ['cp932', 'shift_jis_2004']],
    ['Japanese', 'cp932', WORDS.japaneseWindows, ['cp932', 'shift_jis_2004']],
    ['Chinese (simplified)', 'gb2312', WORDS.chineseSimplified, ['gb18030']],
    ['Chinese (simplified)', 'gbk', WORDS.chineseSimplified, ['gb18030']],
    ['Chinese (simplified)', 'gb18030', WORDS.chineseSimplified, ['gb18030']],
    ['Chinese (traditional)', 'big5', WORDS.chineseTraditional, ['big5hkscs']],
    ['Korean', 'euc_kr', WORDS.korean, ['cp949', 'euc_kr']],
    ['Korean', 'cp949', WORDS.korean, ['cp949']],
  ])('%s in %s (20 rows) comes out as the same text', async (_language, codec, words, names) => {
    const source = table(words);
    const prepared = await read(encoded('upload.csv', source, codec));
    expect(names).toContain(prepared.encoding);
    expect(prepared.text).toBe(source);
    expect(prepared.path).toBe(join(work, UTF8_COPY_NAME));
    expect(prepared.sepLine).toBeNull();
    expect(prepared.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The file is not UTF-8 .*so it was read as ${prepared.encoding}, the encoding detected`,
        ),
      ),
    ]);
  });

  it.each([
    [
      'Spanish',
      'id,name,amount\n1,devolución,824\n2,José Martínez,461\n3,año fiscal,667\n4,Córdoba,309\n5,León,732\n6,María Núñez,398\n7,José Martínez,789\n8,Begoña Ibáñez,57\n9,envío el miércoles,226\n',
    ],
    [
      'Italian',
      'id,name,amount\n1,Portofino,269\n2,pagamento già ricevuto,875\n3,Niccolò È,946\n4,qualità,251\n5,più tardi,413\n6,Niccolò È,204\n7,Portofino,650\n8,pagamento già ricevuto,488\n9,Cantù,413\n10,Città di Castello,450\n',
    ],
  ])(
    "short %s in cp1252: chardet (ICU) corrects jschardet's sibling page",
    async (_language, source) => {
      const path = encoded('w.csv', source, 'cp1252');
      const alone = jschardet.detect(readFileSync(path), { compatNames: false }).encoding;
      expect(['cp1252', 'iso8859-1']).not.toContain(alone);
      expect(await read(path)).toMatchObject({ encoding: 'cp1252', text: source });
    },
  );

  it('short Polish and Turkish keep their own page', async () => {
    // 4 Polish lines (12 accented letters) suffice; Turkish needs ~16 of its letters: below
    // that, chardet's Latin-1 vote can win and ğ ı ş İ Ş Ğ come out as ð ý þ Ý Þ Ð.
    const polish = 'id,name\n1,Łukasz Wiśniewski\n2,Gdańsk\n3,Józef Piłsudski\n4,Częstochowa\n';
    expect(await read(encoded('pl.csv', polish, 'cp1250'))).toMatchObject({
      encoding: 'cp1250',
      text: polish,
    });
    const turkish = table(WORDS.turkish, 6);
    expect(await read(encoded('tr.csv', turkish, 'cp1254'))).toMatchObject({
      encoding: 'cp1254',
      text: turkish,
    });
  });

  it('spells cp1252 bytes 0x80-0x9F as Windows does (Node decodes them as Latin-1 controls)', async () => {
    const path = bytesFile(
      'w.csv',
      'price,quote\n',
      [0x80],
      ' 5,',
      [0x93],
      'ok',
      [0x94, 0x96, 0x8a, 0x9e, 0x0a],
    );
    const prepared = await read(path, { encoding: 'cp1252' });
    expect(prepared.text).toBe('price,quote\n€ 5,“ok”–Šž\n');
  });

  it('reads a small Western file in some single-byte code page and says to check the letters', async () => {
    // Below ~16 non-ASCII characters, Western text can match a sibling code page that
    // differs in a few letters; the ASCII is always intact and the warning says what to do.
    const prepared = await read(encoded('tiny.csv', 'id,city\n1,Zürich\n', 'cp1252'));
    expect(prepared.text).toMatch(/^id,city\n1,Z.rich\n$/);
    expect(prepared.warnings[0]).toMatch(/If letters look wrong, save the file as UTF-8/);
  });

  it('reads with the encoding asked for, skipping detection', async () => {
    const source = table(WORDS.russian, 3);
    const prepared = await read(encoded('ru.csv', source, 'cp1251'), { encoding: 'windows-1251' });
    expect(prepared).toMatchObject({ encoding: 'windows-1251', text: source });
    expect(prepared.warnings).toEqual(['The file was read as windows-1251, as requested.']);
  });

  it('refuses an encoding it cannot decode', async () => {
    const path = bytesFile('a.csv', 'a,b\n1,2\n');
    await expect(prepareCsvText(path, work, { encoding: 'ebcdic-nonsense' })).rejects.toThrow(
      UploadRejected,
    );
  });
});

describe('prepareCsvText: the frictionless corpus files that are not UTF-8', () => {
  // Expected encodings from Python's chardet 5.1 (`chardet.detect`) on each file.
  it.each([
    ['issue-811.csv', 'cp1252', ['cp1252'], 'San Floriano del Collio-Števerjan'],
    ['latin1.csv', 'latin_1', ['cp1252', 'iso8859-1', 'iso8859-15'], '2,©'],
    ['table-with-accents.csv', 'latin_1', ['cp1252', 'iso8859-1', 'iso8859-15'], 'Année'],
    ['table-infer-iso-8859-7.csv', 'iso8859_7', ['iso8859-7', 'cp1253'], 'Λεωνιδας'],
  ])('%s reads as Python decodes it with %s', async (file, codec, names, snippet) => {
    const path = join(FRICTIONLESS, file);
    const prepared = await read(path);
    expect(names).toContain(prepared.encoding);
    expect(prepared.text).toBe(pythonDecoded(path, codec));
    expect(prepared.text).toContain(snippet);
    expect(prepared.warnings[0]).toMatch(
      /^The file is not UTF-8 \((none of its [\d,]+ non-ASCII characters is|its one non-ASCII character is not) valid UTF-8\)/,
    );
  });

  it('bom.csv is UTF-8 with a BOM: the file is used as it is', async () => {
    const path = join(FRICTIONLESS, 'bom.csv');
    expect(await prepareCsvText(path, work)).toEqual({
      path,
      encoding: 'utf-8-sig',
      sepLine: null,
      warnings: [],
    });
    expect(readdirSync(work)).toEqual([]);
  });
});

describe('prepareCsvText: UTF-8', () => {
  it('hands back a valid UTF-8 file untouched, writing nothing', async () => {
    const path = encoded('ok.csv', table(WORDS.japanese), 'utf-8');
    expect(await prepareCsvText(path, work)).toEqual({
      path,
      encoding: 'utf-8',
      sepLine: null,
      warnings: [],
    });
    expect(readdirSync(work)).toEqual([]);
  });

  it('validates across read chunks: a character split at the 1 MiB boundary is fine', async () => {
    const filler = 'x'.repeat(1024 * 1024 - 1 - 'id\n'.length);
    const path = bytesFile('big.csv', 'id\n', filler, '€\n', 'y'.repeat(1000), '\n');
    expect((await prepareCsvText(path, work)).path).toBe(path);
  });

  it('case 06: one stray Latin-1 byte is replaced, the rest stays UTF-8', async () => {
    const path = join(FIXTURES, 'cases/06-mixed-utf8-latin1/station_log.csv');
    const prepared = await read(path);
    expect(prepared.encoding).toBe('utf-8');
    expect(prepared.text).toBe(pythonDecoded(path, 'utf-8', 'replace'));
    expect(prepared.text).toContain('S1501,Caf\ufffd Nord,12 °C\n');
    expect(prepared.text).toContain('São Paulo');
    expect(prepared.warnings).toEqual([
      '1 byte sequence not valid UTF-8 was replaced with \ufffd (U+FFFD) on line 1502; the rest of the file is UTF-8 and was read as such.',
    ]);
  });

  it('names the physical lines of stray bytes, whatever the line endings', async () => {
    const good = 'Zoë,Kraków,Malmö,Reykjavík';
    const path = bytesFile(
      'mixed.csv',
      `a,b,c,d\r\n${good}\r\n`, // lines 1-2, CRLF
      'x,',
      [0xe9],
      ',y,z\r\n', // line 3
      `${good}\r${good}\r`, // lines 4-5, CR only
      'x,',
      [0xff, 0xfe],
      ',',
      [0xe2, 0x82],
      ',z\n', // line 6: three invalid sequences
      `${good}\n`, // line 7
      'q,r,s,',
      [0xc3], // line 8: truncated at the end of the file
    );
    const prepared = await read(path);
    expect(prepared.encoding).toBe('utf-8');
    expect(prepared.text).toBe(pythonDecoded(path, 'utf-8', 'replace'));
    expect(prepared.warnings[0]).toBe(
      '5 byte sequences not valid UTF-8 were replaced with \ufffd (U+FFFD) on 3 lines: 3, 6, 8; the rest of the file is UTF-8 and was read as such.',
    );
  });

  it('lists the first ten lines and counts the rest', async () => {
    const lines = ['name'];
    for (let i = 2; i <= 300; i++) lines.push(i % 20 === 0 ? 'Caf\u00e9' : 'Zoë Müller, São Paulo');
    const bytes = lines.map((l) =>
      l === 'Caf\u00e9' ? Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a]) : Buffer.from(`${l}\n`),
    );
    const path = join(dir, 'many.csv');
    writeFileSync(path, Buffer.concat(bytes));
    const prepared = await read(path);
    expect(prepared.warnings[0]).toBe(
      '15 byte sequences not valid UTF-8 were replaced with \ufffd (U+FFFD) on 15 lines, the first 10: 20, 40, 60, 80, 100, 120, 140, 160, 180, 200; the rest of the file is UTF-8 and was read as such.',
    );
  });

  it('finds stray bytes past the first read chunk on the right line', async () => {
    const row = 'Zoë,Kraków\n'; // 13 bytes, 2 valid multi-byte characters
    const rows = 200_000; // 2.6 MB
    const path = bytesFile('late.csv', row.repeat(rows), 'Caf', [0xe9], '\n');
    const prepared = await read(path);
    expect(prepared.encoding).toBe('utf-8');
    expect(prepared.warnings[0]).toMatch(/on line 200001;/);
  });
});

describe('prepareCsvText: mostly UTF-8 with stray bytes, or a single-byte code page?', () => {
  // Valid multi-byte UTF-8 characters against invalid sequences: UTF-8 when valid ones are
  // the majority, else a code page (see the comment in prepareCsvText).
  const utf8Line = 'Zoë Müller,Malmö,Kraków\n'; // 4 valid characters
  const latin1 = 'Jérôme,Orléans,déjà reçu\n'; // 6 invalid sequences in Latin-1
  const latin1Line = [...Buffer.from(latin1, 'latin1')];

  it('more valid than invalid: UTF-8, only the Latin-1 lines lose their letters', async () => {
    const path = bytesFile('m.csv', 'a,b,c\n', utf8Line, utf8Line, latin1Line, utf8Line);
    const prepared = await read(path); // 12 valid, 6 invalid
    expect(prepared.encoding).toBe('utf-8');
    const replaced = latin1.replace(/[\u0080-\u00ff]/g, '\ufffd');
    expect(prepared.text).toBe(`a,b,c\n${utf8Line}${utf8Line}${replaced}${utf8Line}`);
    expect(prepared.warnings[0]).toMatch(/^6 byte sequences not valid UTF-8 .* on line 4;/);
  });

  it('more invalid than valid: the whole file in the detected code page', async () => {
    const source = table(WORDS.french);
    const path = encoded('m.csv', source, 'cp1252');
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from(utf8Line)]));
    const prepared = await read(path);
    expect(prepared.encoding).toBe('cp1252');
    // The UTF-8 line is the price: it comes out as mojibake.
    expect(prepared.text).toBe(`${source}ZoÃ« MÃ¼ller,MalmÃ¶,KrakÃ³w\n`);
    const invalid = [...source].filter((c) => c > '\x7f').length; // one byte each in cp1252
    expect(prepared.warnings[0]).toMatch(
      `The file is not UTF-8 (${invalid} of its ${invalid + 4} non-ASCII characters are not valid UTF-8)`,
    );
  });

  it('a CJK code page that forms some valid UTF-8 by chance is still a code page', async () => {
    // In GBK about one character in ten is a byte pair that is also valid UTF-8.
    const source = table(WORDS.chineseSimplified, 50);
    const prepared = await read(encoded('gbk.csv', source, 'gbk'));
    expect(prepared).toMatchObject({ encoding: 'gb18030', text: source });
    expect(prepared.warnings[0]).toMatch(/^The file is not UTF-8 \(\d+ of its \d+ non-ASCII/);
  });
});

describe('prepareCsvText: UTF-16', () => {
  it.each([
    ['utf-16-le', [0xff, 0xfe]],
    ['utf-16-be', [0xfe, 0xff]],
  ])('with a BOM (%s)', async (codec, bom) => {
    const source = table(WORDS.greek);
    const path = join(dir, 'u16.csv');
    writeFileSync(
      path,
      Buffer.concat([Buffer.from(bom), readFileSync(encoded('x', source, codec))]),
    );
    const prepared = await read(path);
    expect(prepared).toMatchObject({ encoding: 'utf-16', text: source, sepLine: null });
    expect(prepared.warnings).toEqual([
      'The file is UTF-16 text (it starts with a byte-order mark); it was converted to UTF-8.',
    ]);
  });

  it.each([
    ['utf-16-le', WORDS.russian, 100],
    ['utf-16-be', WORDS.russian, 100],
    ['utf-16-le', WORDS.japanese, 3],
    ['utf-16-be', WORDS.japanese, 3],
    ['utf-16-le', WORDS.french, 20],
  ])('without a BOM (%s): byte order from the NUL bytes', async (codec, words, rows) => {
    // jschardet alone swaps LE and BE on the Russian 100-row and Japanese 3-row files.
    const source = table(words, rows);
    const prepared = await read(encoded('u16.csv', source, codec));
    expect(prepared).toMatchObject({ encoding: codec, text: source });
    expect(prepared.warnings[0]).toMatch(/^The file is UTF-16 text without a byte-order mark/);
  });

  it('refuses UTF-32 and binary data', async () => {
    const utf32 = encoded('u32.csv', 'a,b\n1,2\n', 'utf-32');
    await expect(prepareCsvText(utf32, work)).rejects.toThrow(/UTF-32/);
    const binary = bytesFile('bin.csv', 'a,b\n', [0, 0, 0, 1, 2, 3, 0, 0, 0x89, 0x50, 0, 0, 0]);
    await expect(prepareCsvText(binary, work)).rejects.toThrow(/binary data/);
  });
});

describe("prepareCsvText: Excel's sep= first line", () => {
  it.each([
    ['parts_sep_comma.csv', ',', 'item,qty,note\r\nbolt,120,"M6, zinc"\r\n'],
    ['parts_sep_semicolon.csv', ';', 'Artikel;Menge;Lager\r\n'],
    ['scores_sep_pipe.csv', '|', 'name|score\nann|7\nbob|9\n'],
    ['scores_sep_comma_2cols.csv', ',', 'name,score\r\nann,7\r\nbob,9\r\n'],
  ])('case 07 %s: delimiter %j, line dropped', async (file, delimiter, start) => {
    const path = join(FIXTURES, 'cases/07-excel-sep-line', file);
    const prepared = await read(path);
    expect(prepared).toMatchObject({ encoding: 'utf-8', sepLine: delimiter });
    expect(prepared.text.startsWith(start)).toBe(true);
    expect(prepared.warnings).toEqual([
      `The first line 'sep=${delimiter}' is Excel's delimiter hint: the delimiter is '${delimiter}', and that line was not read as data.`,
    ]);
  });

  it.each([
    ['quoted tab', '"sep=\t"\r\n', '\t', 'a\tb\r\n1\t2\r\n'],
    ['upper case', 'SEP=;\n', ';', 'a;b\n1;2\n'],
    ['CR-only line endings', 'sep=;\r', ';', 'a;b\r1;2\r'],
    ['empty cells after it', 'sep=;;;\r\n', ';', 'a;b;c;d\r\n'],
    ['a UTF-8 BOM before it', '\ufeffsep=|\n', '|', 'a|b\n'],
    ['no line after it', 'sep=,', ',', ''],
  ])('%s', async (_what, first, delimiter, rest) => {
    const prepared = await read(bytesFile('s.csv', first, rest));
    expect(prepared).toMatchObject({ sepLine: delimiter, text: rest });
  });

  it.each([
    ['a header that starts with sep=', 'sep=;x\n1\n'],
    ['a different word', 'separator;x\n1;2\n'],
    ['nothing after sep=', 'sep=\na\n'],
    ['a letter', 'sep=a\nxay\n'],
    ['not on the first line', 'a,b\nsep=;\n'],
  ])('ignores %s', async (_what, text) => {
    const path = bytesFile('n.csv', text);
    expect(await prepareCsvText(path, work)).toMatchObject({ path, sepLine: null, warnings: [] });
  });

  it('in a code-page file and in UTF-16', async () => {
    const source = table(WORDS.polish, 5).replace(/,/g, ';');
    const cp = await read(encoded('cp.csv', `sep=;\r\n${source}`, 'cp1250'));
    expect(cp).toMatchObject({ encoding: 'cp1250', sepLine: ';', text: source });
    expect(cp.warnings).toHaveLength(2);
    const u16 = await read(encoded('u16.csv', `sep=;\r\n${source}`, 'utf-16'));
    expect(u16).toMatchObject({ encoding: 'utf-16', sepLine: ';', text: source });
  });

  it('with stray bytes: the line numbers still count the sep= line', async () => {
    const path = bytesFile('s.csv', 'sep=;\nname;city\nZoë;Kraków\nCaf', [0xe9], ';Malmö\n');
    const prepared = await read(path);
    expect(prepared).toMatchObject({
      sepLine: ';',
      text: 'name;city\nZoë;Kraków\nCaf\ufffd;Malmö\n',
    });
    expect(prepared.warnings[0]).toMatch(/on line 4;/);
  });
});

describe('prepareCsvText: classic Mac CR-only line endings', () => {
  it('case 08 is left as it is: DuckDB reads CR-only files, CRs inside quotes included', async () => {
    const path = join(FIXTURES, 'cases/08-mac-cr-line-endings/donors_cr.csv');
    const prepared = await prepareCsvText(path, work);
    expect(prepared.path).toBe(path);
    const quotedCr = bytesFile('q.csv', 'a,b\rx,"1\r2"\ry,3\r');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      const donors = await connection.runAndReadAll(`SELECT * FROM read_csv('${path}')`);
      expect(donors.getRowObjectsJson()).toHaveLength(4);
      expect(donors.getRowObjectsJson()[0]).toMatchObject({ city: 'Portland, OR', donation: 25.5 });
      const quoted = await connection.runAndReadAll(`SELECT * FROM read_csv('${quotedCr}')`);
      expect(quoted.getRowObjectsJson()).toEqual([
        { a: 'x', b: '1\r2' },
        { a: 'y', b: '3' },
      ]);
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  });

  it('a Mac Roman file with CR line endings is transcoded with its CRs kept', async () => {
    const source = table(WORDS.french, 20).replace(/\r\n/g, '\r');
    const prepared = await read(encoded('mac.csv', source, 'mac_roman'));
    expect(prepared).toMatchObject({ encoding: 'mac-roman', text: source });
  });
});

"""The shared word lists of the Chinese answers, beside :mod:`bot.parsing.lexicon`.

Regular-expression alternations on normalized text (NFKC, lower case, ASCII digits,
full-width punctuation folded to ASCII by NFKC). Written for the words patients and
their relatives in Beijing type, not for formal text: 有/没有, 不清楚, 好像有.
Nothing here imports from the parsers.
"""

from __future__ import annotations

#: Punctuation that ends a clause (after NFKC: "，" -> ","; "、" and "。" stay).
CLAUSE_PUNCT = r"[,，.。;；!！?？、~\s]"

#: "I don't know" in Chinese: not knowing, not remembering, never having been told.
UNKNOWN_ZH = (
    r"不知道|不晓得|不清楚|不太清楚|不大清楚|不是很清楚|不确定|不太确定|不敢确定"
    r"|不记得|记不清|记不得|记不太清|记不住|想不起来|忘了|忘记了|说不准|说不好|说不清"
    r"|不好说|很难说|难说|搞不清|弄不清|没印象|没什么印象|不了解|没数|心里没底"
    r"|没查过|没测过|没检查过|没人说过|医生没说|没告诉"
)

#: An answer word that opens a clause, optionally after a subject: what is left of
#: "不记得哪年了，有" once the "don't know" phrase is gone says it is an answer.
#: "是哪年" and "有没有" are no answer words.
ANSWER_WORD_ZH = (
    r"(?:^|[,，.。;；!！\s])(?:我|他|她|我们|病人|患者)?(?:也|都|还|就|确实|一直)?"
    r"(?:没|无(?!法)|否|不是|从来?没|从未|对|得过|患过|做过|吃过|用过|查出"
    r"|有(?!多少|几|没|无|点)"
    r"|是(?!哪|什么|几|多|谁|怎|否|不是))"
)

#: A number written in Chinese (a value, not "一直" or "一次"): "四十五", "一点八",
#: "六十二岁", "八万".
NUMBER_ZH = (
    r"[一二两三四五六七八九十][十百千万点]|[十百][一二三四五六七八九]"
    r"|[一二两三四五六七八九十]+(?:岁|个|多|万|秒|微摩尔)"
)

#: Words that only ask whether ("有没有", "是不是"): no yes and no no.
WHETHER_ZH = r"有没有|有没|是不是|是否|有无|会不会|能不能|要不要"

#: Hedges leaning no: "应该没有", "好像没有", "没听说过", "据我所知没有".
HEDGE_NO_ZH = (
    r"(?:应该|好像|可能|大概|估计|似乎|也许|或许|印象中|印象里|感觉|觉得)"
    r"(?:是|也)?(?:没有?|不是|不会|没得过|没做过|从没)"
    r"|没听说过?|没听(?:医生)?说|据我所知(?:是)?没|不太可能|不大可能|应该不"
    r"|没有吧|没吧|不是吧|没有印象"
)
#: Hedges leaning yes: "好像有", "可能有", "应该是", "有吧".
HEDGE_YES_ZH = (
    r"(?:应该|好像|可能|大概|估计|似乎|也许|或许|印象中|印象里|感觉|觉得)"
    r"(?:是|也|还)?(?:有|是|得过|做过|查出|吃过|用过|算)"
    r"|有可能|有吧|是吧|算是吧|差不多吧|好像$|可能吧|也许吧|大概吧"
)
#: Neither leaning: "有时候", "说不上", "时有时无".
HEDGE_NEUTRAL_ZH = r"有时候|有时有|时有时无|时好时坏|不一定|说不上|可能吧|也许吧|或许吧"
#: True once, not now: "以前有，现在没有", "已经停了", "早就不吃了".
PAST_ONLY_ZH = (
    r"以前(?:有|是|吃|用)[^,，.。;；]*[,，.。;；\s]*(?:现在|目前)(?:已经)?(?:没|不|好)"
    r"|(?:现在|目前)(?:已经)?(?:没有?了|不[吃用喝]了|好了)|不再|已经不|早就不|早就没"
    r"|已经停|早就停|早停了"
)

#: Fillers before an answer: "嗯，没有", "那个……有".
FILLER_ZH = (
    r"^(?:(?:嗯+|呃+|额+|哦+|噢+|啊+|唉+|哎+|那个|这个|其实|说实话|老实说|怎么说呢)"
    r"[,，.。…\s]*)+"
)

#: An answer word opening the answer, and the particles that may follow it.
YES_LEAD_ZH = (
    r"有有有|有有|对对对|对对|是是是|"
    r"是的|是啊|是呀|是滴|是|对的|对啊|对呀|对|有的|有啊|有呀|有过|有|没错|确实有"
    r"|确实是|当然有|当然是|嗯嗯|嗯|得过|患过|做过|吃过|用过|查出过|确诊过"
    r"|我愿意|愿意|我同意|同意"
)
NO_LEAD_ZH = (
    r"从来都?没有过?|从来都?没|从没有?过?|从未|一直都?没有?|一次都?没有?|根本没有?"
    r"|都没有|没有过|没有的|没有啊|没有呀|没有|没得过|没做过|没吃过|没用过|没|并没有"
    r"|我不愿意|不愿意|我不同意|不同意"
    r"|木有过|木有|没得|莫得|没没没|没有没有"
    r"|不是的|不是啊|不是|不对|不曾|未曾|无|否|不会|不用|不"
)
#: What may follow an answer word for it to stand alone ("没有，", "有的。", "没有过").
LEAD_END_ZH = r"(?=$|[,，.。;；!！?？~\s]|啊|呀|啦|哦|喔|的|呢|过|了)"

#: Subjects before a short answer ("我没有", "他从来没有过").
SUBJECT_ZH = (
    r"(?:我|他|她|我们|病人|患者|我爸|我妈|我爱人|老人|孩子)?"
    r"(?:也|都|还|就|确实|之前|以前)?"
)

#: Consent to an offer: "好的", "可以", "开始吧", "来吧"; declining: "不用了", "算了吧".
AGREE_ZH = (
    r"好的?|好啊|好呀|好吧|行|行啊|行吧|可以的?|可以啊|没问题|同意|愿意|我愿意|我同意"
    r"|开始吧?|开始吧|来吧|来|继续吧?|接着来|接着问|问吧|说吧|那就开始吧?|那开始吧?"
    r"|嗯|嗯嗯|ok|okay|好嘞|中|成|麻烦了|麻烦您了|谢谢|谢谢您"
    r"|好滴|好哒|好咧|好勒|嗯呢|行呗|可以滴|ok的|没毛病|妥|妥了|好嘛"
)
DECLINE_ZH = (
    r"不用了?|不了|算了吧?|先不了?|先不用了?|不要了?|不想|不需要了?|不愿意|不同意"
    r"|下次吧|下次再说|以后再说吧?|改天吧|改天再说|暂时不用了?|暂时不要|不方便|谢谢不用了?"
    r"|不用了谢谢|还是算了吧?|不太想"
)

#: Negation and affirmative verbs anywhere in a sentence: they decide only when no
#: answer word does, and mark the reading as a cue (the sentence may be about
#: something else).
NEG_CUE_ZH = r"没|无(?!法|力)|未|从不|不是|不曾|并不|不会|不用|不吃|不喝|不抽"
POS_CUE_ZH = (
    r"有|得过|得了|患过|患有|确诊|查出|诊断|做过|吃过|用过|在吃|在用|住过院|打过"
    r"|抽过|吐过|拉过|参加过|是"
)

#: Common surnames: a short answer made of one of these and a given name is a name,
#: not an answer ("李有才" says no "有").
SURNAMES_ZH = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
    "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷"
    "侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂"
    "章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲"
    "翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇"
    "桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

"""Reference data for the scale seeder: regions and cities of the benchmark network, names, phone
prefixes, car models and the codes their VINs and plates are built from."""

REGIONS = {
    "east-china": "East China 华东",
    "north-china": "North China 华北",
    "south-china": "South China 华南",
    "west-china": "Central & West China 中西部",
}

# (code prefix, city, English city, province, plate province character, plate letters, region)
CITIES = [
    ("SH", "上海", "Shanghai", "上海市", "沪", "ABCDEFGHJKLMN", "east-china"),
    ("BJ", "北京", "Beijing", "北京市", "京", "ABCEFGHJKLMNPQ", "north-china"),
    ("GZ", "广州", "Guangzhou", "广东省", "粤", "A", "south-china"),
    ("CD", "成都", "Chengdu", "四川省", "川", "A", "west-china"),
    ("HZ", "杭州", "Hangzhou", "浙江省", "浙", "A", "east-china"),
    ("TJ", "天津", "Tianjin", "天津市", "津", "ABCDEFGH", "north-china"),
    ("SZ", "深圳", "Shenzhen", "广东省", "粤", "B", "south-china"),
    ("CQ", "重庆", "Chongqing", "重庆市", "渝", "ABCD", "west-china"),
    ("NJ", "南京", "Nanjing", "江苏省", "苏", "A", "east-china"),
    ("SJZ", "石家庄", "Shijiazhuang", "河北省", "冀", "A", "north-china"),
    ("FS", "佛山", "Foshan", "广东省", "粤", "E", "south-china"),
    ("XA", "西安", "Xi'an", "陕西省", "陕", "A", "west-china"),
    ("SU", "苏州", "Suzhou", "江苏省", "苏", "E", "east-china"),
    ("TY", "太原", "Taiyuan", "山西省", "晋", "A", "north-china"),
    ("FZ", "福州", "Fuzhou", "福建省", "闽", "A", "south-china"),
    ("WH", "武汉", "Wuhan", "湖北省", "鄂", "A", "west-china"),
    ("NB", "宁波", "Ningbo", "浙江省", "浙", "B", "east-china"),
    ("SY", "沈阳", "Shenyang", "辽宁省", "辽", "A", "north-china"),
    ("XM", "厦门", "Xiamen", "福建省", "闽", "D", "south-china"),
    ("CS", "长沙", "Changsha", "湖南省", "湘", "A", "west-china"),
    ("HF", "合肥", "Hefei", "安徽省", "皖", "A", "east-china"),
    ("DL", "大连", "Dalian", "辽宁省", "辽", "B", "north-china"),
    ("DG", "东莞", "Dongguan", "广东省", "粤", "S", "south-china"),
    ("KM", "昆明", "Kunming", "云南省", "云", "A", "west-china"),
    ("JN", "济南", "Jinan", "山东省", "鲁", "A", "east-china"),
    ("QD", "青岛", "Qingdao", "山东省", "鲁", "B", "east-china"),
]

# Common family names with their pinyin, repeated roughly in proportion to how common they are.
_FAMILY = [
    ("王", "Wang", 7), ("李", "Li", 7), ("张", "Zhang", 7), ("刘", "Liu", 5), ("陈", "Chen", 5),
    ("杨", "Yang", 3), ("黄", "Huang", 2), ("赵", "Zhao", 2), ("吴", "Wu", 2), ("周", "Zhou", 2),
    ("徐", "Xu", 2), ("孙", "Sun", 2), ("马", "Ma", 2), ("朱", "Zhu", 2), ("胡", "Hu", 2),
    ("郭", "Guo", 1), ("何", "He", 1), ("高", "Gao", 1), ("林", "Lin", 1), ("罗", "Luo", 1),
    ("郑", "Zheng", 1), ("梁", "Liang", 1), ("谢", "Xie", 1), ("宋", "Song", 1), ("唐", "Tang", 1),
    ("许", "Xu", 1), ("韩", "Han", 1), ("冯", "Feng", 1), ("邓", "Deng", 1), ("曹", "Cao", 1),
    ("彭", "Peng", 1), ("曾", "Zeng", 1), ("肖", "Xiao", 1), ("田", "Tian", 1), ("董", "Dong", 1),
    ("袁", "Yuan", 1), ("潘", "Pan", 1), ("于", "Yu", 1), ("蒋", "Jiang", 1), ("蔡", "Cai", 1),
    ("余", "Yu", 1), ("杜", "Du", 1), ("叶", "Ye", 1), ("程", "Cheng", 1), ("苏", "Su", 1),
    ("魏", "Wei", 1), ("吕", "Lyu", 1), ("丁", "Ding", 1), ("任", "Ren", 1), ("沈", "Shen", 1),
    ("姚", "Yao", 1), ("卢", "Lu", 1), ("姜", "Jiang", 1), ("崔", "Cui", 1), ("钟", "Zhong", 1),
    ("谭", "Tan", 1), ("陆", "Lu", 1), ("汪", "Wang", 1), ("范", "Fan", 1), ("金", "Jin", 1),
    ("石", "Shi", 1), ("廖", "Liao", 1), ("贾", "Jia", 1), ("夏", "Xia", 1), ("韦", "Wei", 1),
    ("方", "Fang", 1), ("白", "Bai", 1), ("邹", "Zou", 1), ("孟", "Meng", 1), ("熊", "Xiong", 1),
    ("秦", "Qin", 1), ("邱", "Qiu", 1), ("江", "Jiang", 1), ("尹", "Yin", 1), ("薛", "Xue", 1),
    ("段", "Duan", 1), ("雷", "Lei", 1), ("侯", "Hou", 1), ("龙", "Long", 1), ("史", "Shi", 1),
    ("陶", "Tao", 1), ("贺", "He", 1), ("顾", "Gu", 1), ("毛", "Mao", 1), ("郝", "Hao", 1),
    ("龚", "Gong", 1), ("邵", "Shao", 1), ("钱", "Qian", 1), ("严", "Yan", 1), ("欧阳", "Ouyang", 1),
]  # fmt: skip
FAMILY_CN = [cn for cn, _py, weight in _FAMILY for _ in range(weight)]
FAMILY_PY = [py for _cn, py, weight in _FAMILY for _ in range(weight)]

_GIVEN = [
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("秀", "Xiu"), ("英", "Ying"), ("敏", "Min"),
    ("静", "Jing"), ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"),
    ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"),
    ("超", "Chao"), ("兰", "Lan"), ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂", "Gui"),
    ("华", "Hua"), ("玉", "Yu"), ("萍", "Ping"), ("红", "Hong"), ("玲", "Ling"), ("燕", "Yan"),
    ("国", "Guo"), ("辉", "Hui"), ("建", "Jian"), ("文", "Wen"), ("斌", "Bin"), ("宇", "Yu"),
    ("浩", "Hao"), ("凯", "Kai"), ("鹏", "Peng"), ("俊", "Jun"), ("帅", "Shuai"), ("丹", "Dan"),
    ("欣", "Xin"), ("怡", "Yi"), ("涵", "Han"), ("子", "Zi"), ("轩", "Xuan"), ("梓", "Zi"),
    ("萱", "Xuan"), ("诺", "Nuo"), ("雨", "Yu"), ("泽", "Ze"), ("晨", "Chen"), ("宁", "Ning"),
    ("佳", "Jia"), ("琪", "Qi"), ("思", "Si"), ("颖", "Ying"), ("博", "Bo"), ("然", "Ran"),
    ("海", "Hai"), ("峰", "Feng"), ("志", "Zhi"), ("荣", "Rong"), ("婷", "Ting"), ("雪", "Xue"),
    ("慧", "Hui"), ("春", "Chun"), ("东", "Dong"), ("亮", "Liang"), ("成", "Cheng"), ("林", "Lin"),
]  # fmt: skip
GIVEN_CN = [cn for cn, _ in _GIVEN]
GIVEN_PY = [py for _, py in _GIVEN]

ENGLISH_FIRST = [
    "David", "Michael", "Kevin", "Jason", "Eric", "Tony", "Jack", "Leo", "Frank", "Peter", "Vincent",
    "Linda", "Grace", "Amy", "Vivian", "Cindy", "Helen", "Lily", "Sophia", "Emma", "Coco", "Jenny",
]  # fmt: skip

COMPANY_WORDS = [
    "鼎盛",
    "华信",
    "宏达",
    "恒通",
    "瑞丰",
    "金桥",
    "启明",
    "远航",
    "万象",
    "博远",
    "中联",
    "天成",
]
COMPANY_KINDS = ["贸易有限公司", "物流有限公司", "科技有限公司", "建设工程有限公司", "汽车租赁有限公司"]

# Chinese mobile prefixes that libphonenumber accepts as valid.
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
]  # fmt: skip

# (make, model, VIN world maker code, VIN model code, weight)
MODELS = [
    ("Aurora", "A3", "LAU", "A3", 4), ("Aurora", "A5", "LAU", "A5", 4), ("Aurora", "A6", "LAU", "A6", 3),
    ("Aurora", "X5", "LAU", "X5", 3), ("Aurora", "EV7", "LAU", "E7", 2),
    ("Kestrel", "K3", "LKS", "K3", 1), ("Kestrel", "K7", "LKS", "K7", 1),
    ("Meridian", "M2", "LMR", "M2", 1), ("Meridian", "M8", "LMR", "M8", 1),
]  # fmt: skip
MODEL_ROWS = [m for m in MODELS for _ in range(m[4])]
COLOURS = ["珍珠白", "曜石黑", "星空灰", "冰川银", "宝石蓝", "烈焰红", "香槟金", "Pearl White", "Graphite"]
# VIN model-year codes for 2016…2025 (position 10).
YEAR_CODES = "GHJKLMNPRS"
# Assembly-plant codes used by this seeder (position 11); "D" is left to the demo seeder.
PLANT_CODES = "ABCEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

LINK_REASONS = ["walk_in", "walk_in", "lead", "lead", "sale", "service", "service", "call_centre"]
CHANNELS = ["phone", "phone", "phone", "phone", "phone", "wechat", "wechat", "wechat", "sms", "sms"]
EMAIL_DOMAINS = ["163.com", "126.com", "sina.com", "outlook.com", "gmail.com", "foxmail.com"]

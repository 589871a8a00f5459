//! Translations of the Lessons panel: each lesson's title, explanation and "try this" prompt.

pub static TABLE: &[(&str, &str, &str)] = &[
    ("panel.lessons", "Lessons", "강의"),
    ("ls.prev", "◀ Previous", "◀ 이전"),
    ("ls.next", "Next ▶", "다음 ▶"),
    (
        "ls.keys",
        "PageUp / PageDown: previous / next lesson · Ctrl+L: language · F5: presentation",
        "PageUp / PageDown: 이전 / 다음 강의 · Ctrl+L: 언어 · F5: 발표 모드",
    ),
    ("ls.try", "Try this", "해 보기"),
    (
        "ls.fid.title",
        "Weight SQNR does not predict the damage: measure it on the model",
        "가중치 SQNR로는 손상을 예측할 수 없습니다: 모델에서 측정해 보세요",
    ),
    (
        "ls.fid.measure",
        "Measure int8 per tensor vs per channel",
        "int8 텐서별 vs 채널별 측정",
    ),
    (
        "ls.fid.hint",
        "on the current model; open Silero VAD or MiniLM in the Model panel to see outputs collapse",
        "현재 모델에서 측정합니다. 모델 패널에서 Silero VAD나 MiniLM을 열면 출력이 무너지는 것을 볼 수 있습니다",
    ),
    ("ls.fid.setting", "setting", "설정"),
    (
        "ls.live",
        "Live: the real panel, set up for this lesson",
        "실시간: 이 강의에 맞게 설정된 실제 패널",
    ),
    (
        "ls.open_panel",
        "Open this in its own panel",
        "전용 패널에서 열기",
    ),
    ("ls.reset", "Reset the example", "예제 초기화"),
    (
        "ls.measure_curve",
        "Measure the curve (0–90 % sparsity)",
        "곡선 측정 (희소도 0–90 %)",
    ),
    (
        "ls.curve_hint",
        "Each point prunes the smallest weights of every layer and measures accuracy on 1,000 test images.",
        "각 점은 모든 층의 작은 가중치를 잘라낸 뒤 테스트 이미지 1,000장으로 정확도를 측정합니다.",
    ),
    ("ls.sparsity_axis", "sparsity (%)", "희소도 (%)"),
    ("ls.accuracy_axis", "accuracy (%)", "정확도 (%)"),
    ("ls.demo_cli", "Headless:", "터미널에서:"),
    ("ls.run_demo", "Run", "실행:"),
    (
        "ls.demo.qat",
        "PTQ vs QAT at 2, 3 and 4 bits",
        "2·3·4비트 PTQ vs QAT",
    ),
    (
        "ls.demo.distill",
        "distillation (label-only, teacher, teacher assistant)",
        "증류 (레이블만, 교사, 조교)",
    ),
    (
        "ls.demo.lora",
        "LoRA vs full fine-tuning",
        "LoRA vs 전체 미세 조정",
    ),
    ("ls.demo.qlora", "QLoRA (NF4 base)", "QLoRA (NF4 기반)"),
    ("ls.demo.adapter", "adapter", "어댑터"),
    ("ls.demo.prompt", "prompt tuning", "프롬프트 튜닝"),
    ("ls.epoch", "epoch", "에포크"),
    ("ls.memory", "Memory", "메모리"),
    (
        "ls.notes",
        "Notes (expected orderings that did not come out, and why)",
        "참고 (기대한 순서가 나오지 않은 경우와 그 이유)",
    ),
    ("ls.summary.technique", "Technique", "기법"),
    ("ls.summary.reduces", "What it reduces", "줄이는 것"),
    ("ls.summary.costs", "What it costs", "대가"),
    ("ls.summary.go", "Lesson", "강의"),
    // 1
    (
        "lesson.1.title",
        "1 · Binary and data units",
        "1 · 이진수와 데이터 단위",
    ),
    (
        "lesson.1.body",
        "A bit holds 0 or 1; 4 bits make a nibble (one hex digit) and 8 bits a byte. N bits can hold 2^N different patterns, so a byte has 256. Units grow by 2^10 = 1,024 ≈ 1 thousand: KiB, MiB (2^20 ≈ 1 million), GiB (2^30 ≈ 1 billion). Model sizes are parameters × bits per parameter, so every bit saved per weight is multiplied by billions.",
        "비트는 0 또는 1을 담고, 4비트는 니블(16진수 한 자리), 8비트는 바이트입니다. N비트는 2^N개의 서로 다른 패턴을 표현하므로 1바이트는 256가지입니다. 단위는 2^10 = 1,024 ≈ 천 배씩 커집니다: KiB, MiB(2^20 ≈ 백만), GiB(2^30 ≈ 10억). 모델 크기는 파라미터 수 × 파라미터당 비트이므로, 가중치당 아낀 1비트가 수십억 배로 곱해집니다.",
    ),
    (
        "lesson.1.try",
        "Click bits of this unsigned byte: which bit adds 128? Set all eight: what is the largest value?",
        "이 부호 없는 바이트의 비트를 눌러 보세요: 어느 비트가 128을 더하나요? 여덟 개를 모두 켜면 최댓값은 얼마인가요?",
    ),
    // 2
    (
        "lesson.2.title",
        "2 · Signed integers: sign-magnitude vs two's complement",
        "2 · 부호 있는 정수: 부호-크기 vs 2의 보수",
    ),
    (
        "lesson.2.body",
        "Sign-magnitude spends the top bit on the sign and keeps the magnitude in the rest, so it has two zeros (+0 and −0) and a range of ±(2^(N−1)−1). Two's complement gives the top bit the weight −2^(N−1): one zero, range [−2^(N−1), 2^(N−1)−1], and addition works the same for signed and unsigned numbers. That is why every CPU and every int8 accelerator uses two's complement.",
        "부호-크기 방식은 맨 위 비트를 부호로, 나머지를 크기로 쓰므로 영이 두 개(+0, −0)이고 범위는 ±(2^(N−1)−1)입니다. 2의 보수는 맨 위 비트에 −2^(N−1)의 가중치를 줍니다: 영은 하나, 범위는 [−2^(N−1), 2^(N−1)−1]이며 덧셈이 부호와 상관없이 똑같이 동작합니다. 그래서 모든 CPU와 int8 가속기가 2의 보수를 씁니다.",
    ),
    (
        "lesson.2.try",
        "Set bit 7 alone (0x80): two's complement reads −128. Switch the format to sm8: the same bits are −0.",
        "비트 7만 켜 보세요(0x80): 2의 보수로는 −128입니다. 형식을 sm8로 바꾸면 같은 비트가 −0이 됩니다.",
    ),
    // 3
    ("lesson.3.title", "3 · Fixed point", "3 · 고정소수점"),
    (
        "lesson.3.body",
        "Fixed point stores an integer and a fixed scale: with K integer bits and M fraction bits, value = stored integer × 2^−M. Every step is the same size (2^−M), so the range is small but arithmetic is plain integer arithmetic. A product of two M-fraction-bit numbers has 2M fraction bits and must be shifted right by M (with rounding) to fit again — the same rescaling integer-quantized layers do with their scales.",
        "고정소수점은 정수와 고정된 스케일을 저장합니다: 정수부 K비트, 소수부 M비트라면 값 = 저장된 정수 × 2^−M입니다. 간격이 모두 같아(2^−M) 범위는 좁지만 연산은 그냥 정수 연산입니다. 소수부 M비트 두 수의 곱은 소수부가 2M비트가 되므로 M만큼 오른쪽으로 (반올림하며) 밀어야 다시 맞습니다 — 정수 양자화된 층이 스케일로 하는 재조정과 같습니다.",
    ),
    (
        "lesson.3.try",
        "This is T=8, F=4. Open Integer arithmetic below and multiply 2.5 × 3.25: see the exact product and the rescaled result.",
        "이 형식은 T=8, F=4입니다. 아래 정수 연산에서 2.5 × 3.25를 곱해 보세요: 정확한 곱과 재조정된 결과를 보세요.",
    ),
    // 4
    (
        "lesson.4.title",
        "4 · Floating point (IEEE 754)",
        "4 · 부동소수점 (IEEE 754)",
    ),
    (
        "lesson.4.body",
        "A float stores a sign, an exponent and a mantissa: value = (−1)^s × 2^(e−bias) × 1.m. Normalization puts the leading 1 in front of the point, so it is not stored (the hidden bit). The exponent is stored with a bias (127 for single precision: a stored e = 8 means 2^(8−127)). E = 0 means zero or a subnormal (hidden bit 0, exponent 1−bias); E = all ones means infinity when the fraction is 0 and NaN otherwise. Single precision is 1+8+23 bits, double 1+11+52.",
        "부동소수점은 부호, 지수, 가수를 저장합니다: 값 = (−1)^s × 2^(e−bias) × 1.m. 정규화로 소수점 앞에 1을 두므로 그 1은 저장하지 않습니다(숨은 비트). 지수는 바이어스를 더해 저장합니다(단정밀도는 127: 저장된 e = 8은 2^(8−127)). E = 0이면 영 또는 비정규수(숨은 비트 0, 지수 1−bias), E가 모두 1이면 가수가 0일 때 무한대, 아니면 NaN입니다. 단정밀도는 1+8+23비트, 배정밀도는 1+11+52비트입니다.",
    ),
    (
        "lesson.4.try",
        "Type 0.1 into the decimal field: the exact stored value is not 0.1. Then set every exponent bit: infinity, then flip one mantissa bit: NaN.",
        "10진수 칸에 0.1을 입력해 보세요: 실제 저장값은 0.1이 아닙니다. 지수 비트를 모두 켜면 무한대, 가수 비트 하나를 더 켜면 NaN입니다.",
    ),
    // 5
    (
        "lesson.5.title",
        "5 · Why compress: parameters × bits = memory",
        "5 · 왜 압축하나: 파라미터 × 비트 = 메모리",
    ),
    (
        "lesson.5.body",
        "Memory for weights is the number of parameters times the bits per parameter. A 7B model needs 28 GB in fp32, 14 GB in fp16 and about 3.5 GB at 4 bits — the difference between a data-centre GPU and a laptop. Memory bandwidth, not arithmetic, limits text generation, so fewer bytes also means faster answers. The built-in model here is small (109,386 parameters) so every number can be measured live.",
        "가중치 메모리는 파라미터 수 × 파라미터당 비트입니다. 7B 모델은 fp32로 28 GB, fp16으로 14 GB, 4비트로 약 3.5 GB가 필요합니다 — 데이터센터 GPU와 노트북의 차이입니다. 텍스트 생성의 속도는 연산이 아니라 메모리 대역폭이 제한하므로 바이트가 줄면 응답도 빨라집니다. 여기 내장 모델은 작아서(파라미터 109,386개) 모든 수치를 실시간으로 측정할 수 있습니다.",
    ),
    (
        "lesson.5.try",
        "Type 70B, then 1.5B, and compare the fp16 and NF4 rows.",
        "70B, 그다음 1.5B를 입력하고 fp16과 NF4 행을 비교해 보세요.",
    ),
    // 6
    ("lesson.6.title", "6 · Quantization", "6 · 양자화"),
    (
        "lesson.6.body",
        "Quantization maps weights to a few levels: q = round(w / scale) + zero point. Symmetric schemes fix the zero point at 0; asymmetric ones add a zero point to cover skewed ranges. Per-channel scales follow each output channel's range, which is why they beat one scale per tensor. PTQ quantizes a trained model as is; QAT trains with the quantizer in the loop. Weight-only quantization shrinks storage; weight-activation quantization also runs the matrix products in int8 or FP8 (E4M3 for values, E5M2 for gradients); BF16 keeps FP32's range with fewer mantissa bits, TF32 is NVIDIA's 19-bit tensor-core format, and mixed precision gives sensitive layers more bits.",
        "양자화는 가중치를 몇 개의 값으로 대응시킵니다: q = round(w / scale) + 영점. 대칭 방식은 영점을 0으로 고정하고, 비대칭 방식은 치우친 범위를 위해 영점을 둡니다. 채널별 스케일은 출력 채널마다의 범위를 따르므로 텐서 하나에 스케일 하나보다 낫습니다. PTQ는 학습된 모델을 그대로 양자화하고, QAT는 양자화를 넣은 채로 학습합니다. 가중치만 양자화하면 저장 공간이 줄고, 가중치-활성화 양자화는 행렬곱 자체를 int8이나 FP8(값은 E4M3, 기울기는 E5M2)로 합니다. BF16은 FP32의 범위를 유지하며 가수 비트를 줄였고, TF32는 NVIDIA 텐서 코어의 19비트 형식이며, 혼합 정밀도는 민감한 층에 더 많은 비트를 줍니다.",
    ),
    (
        "lesson.6.try",
        "Switch between per tensor and per channel, then drag Bits down to 2: watch SQNR and the measured accuracy.",
        "텐서별과 채널별을 바꿔 보고, 비트를 2까지 내려 보세요: SQNR과 측정된 정확도를 보세요.",
    ),
    // 7
    ("lesson.7.title", "7 · Pruning", "7 · 가지치기"),
    (
        "lesson.7.body",
        "Pruning removes weights. Magnitude pruning drops the smallest |w|, on the idea that they contribute least. Unstructured pruning removes single weights anywhere: high sparsity, but hardware needs sparse kernels to gain speed. Structured pruning removes whole rows, columns, channels or heads, and semi-structured 2:4 keeps 2 of every 4 — patterns GPUs can skip. A common rule of thumb says CNNs tolerate about 80 % sparsity and LLMs about 50 %; here the curve is measured on the built-in model.",
        "가지치기는 가중치를 제거합니다. 크기 기반 가지치기는 기여가 가장 작다고 보고 |w|가 작은 것부터 버립니다. 비구조적 가지치기는 어디서든 가중치 하나씩 제거하여 희소도가 높지만, 속도를 얻으려면 희소 연산 커널이 필요합니다. 구조적 가지치기는 행, 열, 채널, 헤드를 통째로 제거하고, 반구조적 2:4는 4개 중 2개를 남깁니다 — GPU가 건너뛸 수 있는 패턴입니다. 경험적으로 CNN은 약 80 %, LLM은 약 50 %의 희소도를 견딘다고 하며, 여기서는 내장 모델로 그 곡선을 직접 측정합니다.",
    ),
    (
        "lesson.7.try",
        "Measure the curve: where does accuracy start to fall? Then open the weights view with 2:4 pruning and look at the mask.",
        "곡선을 측정해 보세요: 정확도가 어디서 떨어지기 시작하나요? 그다음 가중치 보기에서 2:4 가지치기의 마스크를 보세요.",
    ),
    // 8
    (
        "lesson.8.title",
        "8 · Knowledge distillation",
        "8 · 지식 증류",
    ),
    (
        "lesson.8.body",
        "A large teacher's output probabilities carry more information than the labels alone: which wrong answers are almost right. A small student is trained on total loss = student loss (cross-entropy with the labels) + distillation loss (KL divergence to the teacher's softened probabilities at temperature T, weighted by α and scaled by T²). When the gap between teacher and student is large, a teacher assistant of intermediate size is distilled first and then teaches the student (TAKD).",
        "큰 교사 모델의 출력 확률에는 정답 레이블보다 많은 정보가 담겨 있습니다: 어떤 오답이 거의 정답인지. 작은 학생 모델은 전체 손실 = 학생 손실(레이블과의 교차 엔트로피) + 증류 손실(온도 T로 부드럽게 한 교사 확률과의 KL 발산, α로 가중하고 T²를 곱함)로 학습합니다. 교사와 학생의 크기 차이가 크면 중간 크기의 조교(teacher assistant)를 먼저 증류한 뒤 조교가 학생을 가르칩니다(TAKD).",
    ),
    (
        "lesson.8.try",
        "Run the distillation demo and compare the label-only student with the distilled one and the one taught by the assistant.",
        "증류 데모를 실행해 레이블만으로 학습한 학생, 증류한 학생, 조교가 가르친 학생을 비교해 보세요.",
    ),
    // 9
    ("lesson.9.title", "9 · LoRA and QLoRA", "9 · LoRA와 QLoRA"),
    (
        "lesson.9.body",
        "LoRA freezes the pretrained weight W and learns a low-rank update ΔW = (α/r)·B·A with rank r much smaller than the layer; B starts at zero so training starts from the original model. Only A and B are trained, in the chosen target modules, so trainable parameters and optimizer memory (Adam keeps two moments per parameter) fall by orders of magnitude. QLoRA keeps the frozen base in 4-bit NF4 with double quantization and adds LoRA on top, so the base weights take about a quarter of their fp16 memory.",
        "LoRA는 사전 학습된 가중치 W를 고정하고 저랭크 갱신 ΔW = (α/r)·B·A를 학습합니다. 랭크 r은 층보다 훨씬 작고, B를 0에서 시작하므로 학습은 원래 모델에서 출발합니다. 선택한 대상 모듈의 A와 B만 학습하므로 학습 파라미터와 옵티마이저 메모리(Adam은 파라미터마다 모멘트 두 개를 저장)가 몇 자릿수 줄어듭니다. QLoRA는 고정된 기반 가중치를 이중 양자화한 4비트 NF4로 두고 그 위에 LoRA를 더해, 기반 가중치 메모리를 fp16의 약 4분의 1로 줄입니다.",
    ),
    (
        "lesson.9.try",
        "Run the LoRA and QLoRA demos: compare trainable parameters, optimizer memory and accuracy with full fine-tuning.",
        "LoRA와 QLoRA 데모를 실행해 학습 파라미터, 옵티마이저 메모리, 정확도를 전체 미세 조정과 비교해 보세요.",
    ),
    // 10
    (
        "lesson.10.title",
        "10 · Adapters and prompt tuning",
        "10 · 어댑터와 프롬프트 튜닝",
    ),
    (
        "lesson.10.body",
        "Adapters insert a small bottleneck network (down-projection, non-linearity, up-projection, residual connection) after a layer and train only it; one frozen model can serve many tasks, each with its own small adapter. Prompt tuning trains no weights at all: it learns a few input vectors (a soft prompt) placed in front of or added to the input. Both keep the base model untouched and store only a tiny per-task delta.",
        "어댑터는 층 뒤에 작은 병목 신경망(축소 사상, 비선형, 확장 사상, 잔차 연결)을 넣고 그것만 학습합니다. 고정된 모델 하나로 여러 작업을 각자의 작은 어댑터로 처리할 수 있습니다. 프롬프트 튜닝은 가중치를 전혀 학습하지 않고, 입력 앞에 붙이거나 입력에 더하는 몇 개의 입력 벡터(소프트 프롬프트)만 학습합니다. 둘 다 기반 모델은 그대로 두고 작업마다 아주 작은 차이만 저장합니다.",
    ),
    (
        "lesson.10.try",
        "Run the adapter and prompt-tuning demos: how many parameters does each train, and how close do they get to full fine-tuning?",
        "어댑터와 프롬프트 튜닝 데모를 실행해 보세요: 각각 몇 개의 파라미터를 학습하며 전체 미세 조정에 얼마나 가까워지나요?",
    ),
    // 11
    ("lesson.11.title", "11 · Summary", "11 · 정리"),
    (
        "lesson.11.body",
        "Every technique trades something for memory, speed or energy. Number formats and quantization shrink each weight; pruning removes weights; distillation shrinks the architecture; parameter-efficient fine-tuning shrinks what must be trained and stored per task. They combine: QLoRA is quantization plus LoRA, and pruned models are often quantized too.",
        "모든 기법은 무언가를 내주고 메모리, 속도, 에너지를 얻습니다. 수 형식과 양자화는 가중치 하나하나를 줄이고, 가지치기는 가중치를 없애며, 증류는 구조를 줄이고, 파라미터 효율적 미세 조정은 작업마다 학습하고 저장할 것을 줄입니다. 이들은 함께 쓰입니다: QLoRA는 양자화와 LoRA의 결합이고, 가지치기한 모델도 흔히 양자화합니다.",
    ),
    (
        "lesson.11.try",
        "Click a row to go back to its lesson.",
        "행을 눌러 해당 강의로 돌아가 보세요.",
    ),
    (
        "sum.formats",
        "Low-precision formats (BF16, FP8, FP4)",
        "저정밀 형식 (BF16, FP8, FP4)",
    ),
    (
        "sum.formats.reduces",
        "bits per value, memory traffic",
        "값당 비트, 메모리 전송",
    ),
    (
        "sum.formats.costs",
        "range or precision; overflow handling",
        "범위 또는 정밀도; 오버플로 처리",
    ),
    ("sum.quant", "Quantization (PTQ, QAT)", "양자화 (PTQ, QAT)"),
    (
        "sum.quant.reduces",
        "model size, bandwidth, integer compute",
        "모델 크기, 대역폭, 정수 연산",
    ),
    (
        "sum.quant.costs",
        "rounding error; calibration or retraining",
        "반올림 오차; 보정 또는 재학습",
    ),
    ("sum.prune", "Pruning", "가지치기"),
    (
        "sum.prune.reduces",
        "number of weights (and FLOPs if structured)",
        "가중치 수 (구조적이면 연산량도)",
    ),
    (
        "sum.prune.costs",
        "accuracy at high sparsity; sparse kernels",
        "높은 희소도에서 정확도; 희소 커널 필요",
    ),
    ("sum.distill", "Knowledge distillation", "지식 증류"),
    (
        "sum.distill.reduces",
        "model size (a smaller architecture)",
        "모델 크기 (더 작은 구조)",
    ),
    (
        "sum.distill.costs",
        "a training run with the teacher",
        "교사를 이용한 학습 비용",
    ),
    ("sum.lora", "LoRA / QLoRA", "LoRA / QLoRA"),
    (
        "sum.lora.reduces",
        "trainable parameters, optimizer memory",
        "학습 파라미터, 옵티마이저 메모리",
    ),
    (
        "sum.lora.costs",
        "rank limits the update; QLoRA dequantizes on the fly",
        "랭크가 갱신을 제한; QLoRA는 실행 중 역양자화",
    ),
    (
        "sum.adapter",
        "Adapters, prompt tuning",
        "어댑터, 프롬프트 튜닝",
    ),
    (
        "sum.adapter.reduces",
        "per-task storage and training",
        "작업별 저장과 학습",
    ),
    (
        "sum.adapter.costs",
        "extra latency (adapters); lower ceiling (prompts)",
        "추가 지연(어댑터); 낮은 성능 상한(프롬프트)",
    ),
    // Demo reports: table headers and the training-memory chart.
    ("ls.col.setting", "setting", "설정"),
    ("ls.col.levels", "levels", "레벨 수"),
    ("ls.col.ptq", "PTQ accuracy", "PTQ 정확도"),
    ("ls.col.qat", "QAT accuracy", "QAT 정확도"),
    ("ls.col.gain", "QAT − PTQ", "QAT − PTQ"),
    ("ls.col.weights", "weights", "가중치 크기"),
    ("ls.col.model", "model", "모델"),
    ("ls.col.architecture", "architecture", "구조"),
    ("ls.col.params", "parameters", "파라미터 수"),
    ("ls.col.taught_by", "taught by", "가르친 쪽"),
    ("ls.col.accuracy", "test accuracy", "테스트 정확도"),
    ("ls.col.loss", "test loss", "테스트 손실"),
    ("ls.col.method", "method", "방법"),
    (
        "ls.col.trainable",
        "trainable parameters",
        "학습 파라미터 수",
    ),
    ("ls.col.share", "of the model", "모델 대비"),
    (
        "ls.col.optimizer",
        "optimizer state (Adam)",
        "옵티마이저 상태 (Adam)",
    ),
    ("ls.col.before", "accuracy before", "학습 전 정확도"),
    ("ls.col.after", "accuracy after", "학습 후 정확도"),
    (
        "ls.mem.title",
        "Training memory: weights + gradients + optimizer state",
        "학습 메모리: 가중치 + 기울기 + 옵티마이저 상태",
    ),
    ("ls.mem.weights", "weights", "가중치"),
    ("ls.mem.grads", "gradients", "기울기"),
    ("ls.mem.optimizer", "optimizer state", "옵티마이저 상태"),
    (
        "ls.mem.full",
        "full fine-tuning (fp32)",
        "전체 미세 조정 (fp32)",
    ),
    (
        "ls.mem.less",
        "{0}: {1} less training memory than full fine-tuning ({2} vs {3})",
        "{0}: 전체 미세 조정보다 학습 메모리 {1} 적음 ({2} 대 {3})",
    ),
    ("ls.full_scale", "0–100 % axis", "0–100 % 축"),
    ("ls.ptq_ref", "PTQ {0}-bit", "PTQ {0}비트"),
    (
        "ls.try_more_epochs",
        "Run again with {0} epochs per model",
        "모델마다 {0} 에포크로 다시 실행",
    ),
];

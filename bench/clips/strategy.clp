; The 13 rules of bench/clips/strategy.rules in CLIPS 6.30 (issue 19):
; class_of_target and the Step 5.1 strategy rules over one `profile`
; template. A field the profile leaves out is nil; Advise's three-valued
; tests become explicit nil tests (a comparison with a missing value is
; unknown, so it never holds; `A or B` holds when either holds). Each firing
; prints `ID RULE`, and setting the strategy `ID strategy VALUE`;
; bench/clips/run.sh compares that with Advise's records.

(deftemplate profile
  (slot id) (slot target_specialty (default nil)) (slot match_status (default nil))
  (slot step2ck (default nil)) (slot research_months_us (default nil)) (slot publications (default nil))
  (slot us_letters_in_specialty (default nil)) (slot programs_know_you (default nil)) (slot step1 (default nil))
  (slot step1_attempts (default nil)) (slot step2ck_attempts (default nil)) (slot risk_tolerance (default nil)))

(deftemplate specialty (slot id) (slot class))
(deftemplate concl (slot id) (slot name) (slot value))

(deffunction lt (?x ?n) (and (neq ?x nil) (< ?x ?n)))
(deffunction ge (?x ?n) (and (neq ?x nil) (>= ?x ?n)))
(deffunction still-applying (?m) (or (eq ?m nil) (eq ?m preparing) (eq ?m applying) (eq ?m unmatched)))

(defrule class_of_target
  (declare (salience 30))
  (profile (id ?id) (target_specialty ?t&~nil))
  (specialty (id ?t) (class ?c&~nil))
  =>
  (assert (concl (id ?id) (name specialty_class) (value ?c)))
  (printout t ?id " class_of_target" crlf))

(defrule single_when_exceptional
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (step2ck ?s&:(ge ?s 260))
           (research_months_us ?r&:(ge ?r 6)) (publications ?p&:(ge ?p 2))
           (us_letters_in_specialty ?l&:(ge ?l 3)) (programs_know_you ?k&:(ge ?k 3)) (step1 pass)
           (step1_attempts ?a1&:(or (eq ?a1 nil) (and (neq ?a1 nil) (<= ?a1 1))))
           (step2ck_attempts ?a2&:(or (eq ?a2 nil) (and (neq ?a2 nil) (<= ?a2 1))))
           (risk_tolerance ?rt&~low))
  =>
  (assert (concl (id ?id) (name strategy) (value single)))
  (printout t ?id " single_when_exceptional" crlf ?id " strategy single" crlf))

(defrule dual_below_band
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (step2ck ?s&:(lt ?s 250)))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_below_band" crlf))

(defrule dual_step2ck_not_extreme
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (step2ck ?s&:(ge ?s 250)&:(lt ?s 260)))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_step2ck_not_extreme" crlf))

(defrule dual_exam_failure
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (step1 ?s1) (step1_attempts ?a1) (step2ck_attempts ?a2))
  (test (or (eq ?s1 fail) (and (neq ?a1 nil) (> ?a1 1)) (and (neq ?a2 nil) (> ?a2 1))))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_exam_failure" crlf))

(defrule dual_research_short
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (research_months_us ?r) (publications ?p))
  (test (or (lt ?r 6) (lt ?p 2)))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_research_short" crlf))

(defrule dual_letters_short
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (us_letters_in_specialty ?l&:(lt ?l 3)))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_letters_short" crlf))

(defrule dual_programs_short
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (programs_know_you ?k&:(lt ?k 3)))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_programs_short" crlf))

(defrule dual_missing_evidence
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (step2ck ?s) (research_months_us ?r) (publications ?p)
           (us_letters_in_specialty ?l) (programs_know_you ?k) (step1 ?s1))
  (test (or (eq ?s nil) (eq ?r nil) (eq ?p nil) (eq ?l nil) (eq ?k nil) (eq ?s1 nil) (eq ?s1 not_taken)))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_missing_evidence" crlf))

(defrule dual_low_risk_tolerance
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)) (risk_tolerance low))
  =>
  (assert (concl (id ?id) (name strategy) (value dual)))
  (printout t ?id " dual_low_risk_tolerance" crlf))

(defrule dual_application_advice
  (concl (id ?id) (name strategy) (value dual))
  =>
  (printout t ?id " dual_application_advice" crlf ?id " strategy dual" crlf))

(defrule high_risk_tolerance_still_dual
  (concl (id ?id) (name strategy) (value dual))
  (profile (id ?id) (risk_tolerance high))
  =>
  (printout t ?id " high_risk_tolerance_still_dual" crlf))

(defrule single_when_not_ultra
  (declare (salience 20))
  (concl (id ?id) (name specialty_class) (value ?c&~ultra))
  (profile (id ?id) (match_status ?m&:(still-applying ?m)))
  =>
  (assert (concl (id ?id) (name strategy) (value single)))
  (printout t ?id " single_when_not_ultra" crlf ?id " strategy single" crlf))

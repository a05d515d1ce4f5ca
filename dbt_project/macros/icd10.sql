{# ICD-10 (WHO 2019) chapter of a code such as 'A09' or 'E11.9': roman numeral and title. #}
{% macro icd10_bab(code) -%}
case
    when {{ code }} between 'A00' and 'B99~' then 'I'
    when {{ code }} between 'C00' and 'D48~' then 'II'
    when {{ code }} between 'D50' and 'D89~' then 'III'
    when {{ code }} between 'E00' and 'E90~' then 'IV'
    when {{ code }} between 'F00' and 'F99~' then 'V'
    when {{ code }} between 'G00' and 'G99~' then 'VI'
    when {{ code }} between 'H00' and 'H59~' then 'VII'
    when {{ code }} between 'H60' and 'H95~' then 'VIII'
    when {{ code }} between 'I00' and 'I99~' then 'IX'
    when {{ code }} between 'J00' and 'J99~' then 'X'
    when {{ code }} between 'K00' and 'K93~' then 'XI'
    when {{ code }} between 'L00' and 'L99~' then 'XII'
    when {{ code }} between 'M00' and 'M99~' then 'XIII'
    when {{ code }} between 'N00' and 'N99~' then 'XIV'
    when {{ code }} between 'O00' and 'O99~' then 'XV'
    when {{ code }} between 'P00' and 'P96~' then 'XVI'
    when {{ code }} between 'Q00' and 'Q99~' then 'XVII'
    when {{ code }} between 'R00' and 'R99~' then 'XVIII'
    when {{ code }} between 'S00' and 'T98~' then 'XIX'
    when {{ code }} between 'V01' and 'Y98~' then 'XX'
    when {{ code }} between 'Z00' and 'Z99~' then 'XXI'
    when {{ code }} between 'U00' and 'U99~' then 'XXII'
end
{%- endmacro %}

{% macro icd10_nama_bab(bab) -%}
case {{ bab }}
    when 'I' then 'Penyakit infeksi dan parasit tertentu'
    when 'II' then 'Neoplasma'
    when 'III' then 'Penyakit darah dan organ pembentuk darah'
    when 'IV' then 'Penyakit endokrin, nutrisi dan metabolik'
    when 'V' then 'Gangguan mental dan perilaku'
    when 'VI' then 'Penyakit sistem saraf'
    when 'VII' then 'Penyakit mata dan adneksa'
    when 'VIII' then 'Penyakit telinga dan prosesus mastoid'
    when 'IX' then 'Penyakit sistem sirkulasi'
    when 'X' then 'Penyakit sistem pernapasan'
    when 'XI' then 'Penyakit sistem pencernaan'
    when 'XII' then 'Penyakit kulit dan jaringan subkutan'
    when 'XIII' then 'Penyakit sistem muskuloskeletal dan jaringan ikat'
    when 'XIV' then 'Penyakit sistem genitourinaria'
    when 'XV' then 'Kehamilan, persalinan dan nifas'
    when 'XVI' then 'Kondisi tertentu pada masa perinatal'
    when 'XVII' then 'Malformasi kongenital'
    when 'XVIII' then 'Gejala, tanda dan temuan abnormal'
    when 'XIX' then 'Cedera, keracunan dan akibat sebab luar'
    when 'XX' then 'Sebab luar kesakitan dan kematian'
    when 'XXI' then 'Faktor yang memengaruhi status kesehatan dan kontak dengan layanan kesehatan'
    when 'XXII' then 'Kode untuk tujuan khusus'
end
{%- endmacro %}
